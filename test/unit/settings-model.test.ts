// One definition of every setting (src/config/settings-model.ts), and the Functions app and the
// CLI accepting and rejecting the same values with the same messages.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { LOCAL_SETTINGS_SAMPLE_PATH, REFERENCE_DOC_PATH, renderLocalSettingsSample, renderSettingsJson, SETTINGS_JSON_PATH } from '../../scripts/generate-schema-json.js';
import { renderReferenceDoc } from '../../scripts/reference-doc.js';
import { addSettingOptions, resolveCliSettings } from '../../src/cli/cli-settings.js';
import { SettingsError } from '../../src/errors/settings-error.js';
import { loadSettings, resolveSettings } from '../../src/config/settings.js';
import { SETTINGS, setting, type Setting, type SettingKey } from '../../src/config/settings-model.js';
import { storageConnectionFromCli } from '../../src/config/storage-connection.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const AZURITE = 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;';
const CLIENT = '11111111-1111-1111-1111-111111111111';
const valid = {
  PGAUDIT_INGESTION_ENDPOINT: 'https://my-dcr-abcd.westeurope-1.ingest.monitor.azure.com',
  PGAUDIT_DCR_IMMUTABLE_ID: 'dcr-0123456789abcdef0123456789abcdef',
  PGAUDIT_LOGS_STORAGE__blobServiceUri: 'https://logs.blob.core.windows.net',
  PGAUDIT_LOGS_STORAGE__credential: 'managedidentity',
  PGAUDIT_LOGS_STORAGE__clientId: CLIENT,
  PGAUDIT_STATE_STORAGE: AZURITE,
};

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadSettings(env);
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    return (err as SettingsError).problems;
  }
  throw new Error('expected a SettingsError');
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('the settings model', () => {
  it('names every setting, app setting and option once', () => {
    for (const field of ['key', 'env'] as const) expect(new Set(SETTINGS.map((s) => s[field])).size, field).toBe(SETTINGS.length);
    const flags = SETTINGS.flatMap((s) => (s.cli ? [s.cli.flag, ...(s.cli.short ? [s.cli.short] : [])] : []));
    expect(new Set(flags).size).toBe(flags.length);
  });

  it('the settings without a default are exactly the required or optional-by-nature ones', () => {
    expect(SETTINGS.filter((s) => s.default === undefined).map((s) => s.key).sort()).toEqual(['clientId', 'dcrImmutableId', 'ingestionEndpoint', 'logsStorage', 'stateStorage']);
  });

  it('every default is accepted by its own schema, and numeric limits are enforced at both ends', () => {
    for (const s of SETTINGS) {
      if (s.default !== undefined) expect(() => resolveSettings([s.key], [], appSource({ [s.env]: s.default! })), s.key).not.toThrow();
      if (s.min === undefined || s.max === undefined) continue;
      const step = Number.isInteger(s.min) && Number.isInteger(s.max) ? 1 : 0.01;
      for (const ok of [s.min, s.max]) expect(appValue(s.key, String(ok)), `${s.key}=${ok}`).toBe(ok);
      for (const bad of [s.min - step, s.max + step]) expect(() => appValue(s.key, String(Number(bad.toFixed(2)))), `${s.key}=${bad}`).toThrow(SettingsError);
    }
  });

  it('the JSON Bicep reads, and docs/reference.md, are what the model generates', () => {
    expect(readFileSync(SETTINGS_JSON_PATH, 'utf8')).toBe(renderSettingsJson());
    expect(readFileSync(REFERENCE_DOC_PATH, 'utf8')).toBe(renderReferenceDoc());
    expect(readFileSync(LOCAL_SETTINGS_SAMPLE_PATH, 'utf8')).toBe(renderLocalSettingsSample());
  });

  it('no other source file names an app setting the model does not define', () => {
    const names = new Set(SETTINGS.map((s) => s.env));
    const others = new Set<string>();
    for (const file of [...sourceFiles(path.join(ROOT, 'src')), ...sourceFiles(path.join(ROOT, 'functions')), path.join(ROOT, 'bin/pgaudit-ingest.js')]) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\bPGAUDIT_[A-Z_]+[A-Z]/g)) {
        const name = m[0].replace(/__.*$/, '');
        expect(names.has(name) || others.has(name), `${path.relative(ROOT, file)}: ${m[0]}`).toBe(true);
      }
    }
  });
});

/** The app's way in: an environment. */
function appSource(env: NodeJS.ProcessEnv) {
  return { read: (s: Setting) => (env[s.env] === undefined ? undefined : { text: env[s.env]! }), origin: (s: Setting) => s.env, connections: 'app' as const, env };
}
function appValue(key: SettingKey, text: string): unknown {
  return (resolveSettings([key], [], appSource({ [setting(key).env]: text })) as Record<string, unknown>)[key];
}
/** The CLI's way in: the option, parsed by commander as the program parses it. */
async function cliValue(key: SettingKey, args: readonly string[]): Promise<unknown> {
  const cmd = addSettingOptions(new Command('t').exitOverride(), [key]);
  cmd.parse([...args], { from: 'user' });
  return ((await resolveCliSettings(cmd.opts(), [key], [], {})) as Record<string, unknown>)[key];
}
async function outcome(run: () => unknown): Promise<{ ok: true; value: unknown } | { ok: false; message: string }> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    // The same problem, whichever name the message starts with.
    return { ok: false, message: (err as SettingsError).problems[0]!.replace(/^\S+: /, '') };
  }
}

describe('the CLI and the app accept and reject the same values', () => {
  const text = (key: SettingKey, values: string[]) => values.map((v) => ({ key, app: v, cli: [setting(key).cli!.flag, v] }));
  const cases: { key: SettingKey; app: string; cli: string[] }[] = [
    ...text('statementCap', ['100', '60000', '32000', '99', '60001', 'abc', '1.5', '']),
    ...text('flushMb', ['0.1', '8', '64', '0', '65', 'x']),
    ...text('concurrency', ['1', '64', '0', '2.5']),
    ...text('lookbackHours', ['1', '720', '0', '721']),
    { key: 'filters', app: '["UserName=azuresu","ApplicationName=/^pg_cron/i"]', cli: ['--exclude', 'UserName=azuresu', '--exclude', 'ApplicationName=/^pg_cron/i'] },
    { key: 'filters', app: '["Colour=red"]', cli: ['--exclude', 'Colour=red'] },
    { key: 'filters', app: '["EventType=GAP"]', cli: ['--exclude', 'EventType=GAP'] },
    { key: 'filters', app: '["EventType=/.*/"]', cli: ['--exclude', 'EventType=/.*/'] },
    { key: 'filters', app: '["UserName=/(/"]', cli: ['--exclude', 'UserName=/(/'] },
    { key: 'filters', app: '["UserName="]', cli: ['--exclude', 'UserName='] },
    ...text('uploadTimeoutSeconds', ['1', '600', '0', '601']),
    ...text('runBudgetMinutes', ['0', '1440', '1441']),
    ...text('logLinePrefix', ['%m [%p] %q%u@%d ', '', '%t-%c-', '%', 'abc %', '100%%']),
    ...text('ingestionEndpoint', ['https://x.westeurope-1.ingest.monitor.azure.com', 'http://x.ingest.monitor.azure.com', 'not a url']),
    ...text('dcrImmutableId', ['dcr-0123456789abcdef0123456789abcdef', 'dcr-123', 'my-dcr']),
    ...text('streamName', ['Custom-PgAudit_CL', 'PgAudit_CL']),
    ...text('logsContainer', ['insights-logs-postgresqllogs', 'Logs', 'a', 'a--b']),
    ...text('clientId', [CLIENT, '', 'abc']),
    { key: 'serverLogLinePrefixes', app: '{"PgProd":"%m [%p] %q%u@%d ","other":"%t-%c-"}', cli: ['--server-prefix', 'PgProd=%m [%p] %q%u@%d ', '--server-prefix', 'other=%t-%c-'] },
    { key: 'serverLogLinePrefixes', app: '{"pg":"%"}', cli: ['--server-prefix', 'pg=%'] },
    { key: 'redactPatterns', app: '["api_key=(?<secret>\\\\w+)","/token \\\\S+/i"]', cli: ['--redact', 'api_key=(?<secret>\\w+)', '--redact', '/token \\S+/i'] },
    { key: 'redactPatterns', app: '["(unclosed"]', cli: ['--redact', '(unclosed'] },
    { key: 'redactPatterns', app: '["x*"]', cli: ['--redact', 'x*'] },
  ];
  it.each(cases)('$key: app $app, CLI $cli', async ({ key, app, cli }) => {
    const fromApp = await outcome(() => appValue(key, app));
    const fromCli = await outcome(() => cliValue(key, cli));
    expect(fromCli).toEqual(fromApp);
  });

  it('rejects a --server-prefix item that is not SERVER=PREFIX, naming the option', async () => {
    await expect(cliValue('serverLogLinePrefixes', ['--server-prefix', 'noequals'])).rejects.toThrow(/^--server-prefix: expects SERVER=PREFIX \(got "noequals"\)/);
  });

  it('a CLI option falls back to the app setting of the same meaning, then to the default', async () => {
    const cmd = addSettingOptions(new Command('t'), ['flushMb', 'concurrency', 'statementCap']);
    cmd.parse(['--concurrency', '3'], { from: 'user' });
    expect(await resolveCliSettings(cmd.opts(), ['flushMb', 'concurrency', 'statementCap'], [], { PGAUDIT_FLUSH_MB: '2', PGAUDIT_CONCURRENCY: '9' })).toEqual({ flushMb: 2, concurrency: 3, statementCap: 32_000 });
    await expect(resolveCliSettings(cmd.opts(), ['flushMb'], [], { PGAUDIT_FLUSH_MB: 'lots' })).rejects.toThrow(/^PGAUDIT_FLUSH_MB \(fallback for --flush-mb\): must be a number/);
  });
});

describe('loadSettings (the Functions app)', () => {
  it('applies defaults and reads identity-based and connection-string storage', () => {
    const s = loadSettings({ ...valid, AZURE_CLIENT_ID: CLIENT });
    expect(s).toMatchObject({
      streamName: 'Custom-PgAudit_CL', logsContainer: 'insights-logs-postgresqllogs', stateContainer: 'pgaudit-state', deadLetterContainer: 'pgaudit-deadletter',
      logLinePrefix: '%t-%c-', statementCap: 32_000, lookbackHours: 48, flushMb: 8, concurrency: 4, uploadTimeoutSeconds: 60, uploadAttempts: 6, runBudgetMinutes: 8,
      redactPatterns: [], serverLogLinePrefixes: {}, sweepSchedule: '0 */5 * * * *', clientId: CLIENT,
    });
    expect(s.logsStorage).toEqual({ kind: 'identity', blobServiceUri: 'https://logs.blob.core.windows.net', clientId: CLIENT, managedIdentity: true });
    expect(s.stateStorage).toEqual({ kind: 'connection-string', connectionString: AZURITE });
  });

  it('the state storage defaults to the logs storage', () => {
    const withoutState: Record<string, string> = { ...valid };
    delete withoutState.PGAUDIT_STATE_STORAGE;
    expect(loadSettings(withoutState).stateStorage).toEqual(loadSettings(withoutState).logsStorage);
  });

  it('reads per-server prefixes (server names lower-cased) and redaction patterns', () => {
    const s = loadSettings({ ...valid, PGAUDIT_SERVER_LOG_LINE_PREFIXES: '{"PGPROD":"%m [%p] %q%u@%d "}', PGAUDIT_REDACT_PATTERNS: '["api_key=(?<secret>\\\\w+)"]' });
    expect(s.serverLogLinePrefixes).toEqual({ pgprod: '%m [%p] %q%u@%d ' });
    expect(s.redactPatterns).toEqual(['api_key=(?<secret>\\w+)']);
  });

  it.each([
    { name: 'missing endpoint', env: { ...valid, PGAUDIT_INGESTION_ENDPOINT: undefined }, problem: /^PGAUDIT_INGESTION_ENDPOINT: is required but not set/ },
    { name: 'http endpoint', env: { ...valid, PGAUDIT_INGESTION_ENDPOINT: 'http://x.ingest.monitor.azure.com' }, problem: /^PGAUDIT_INGESTION_ENDPOINT: must be the https:\/\// },
    { name: 'bad DCR id', env: { ...valid, PGAUDIT_DCR_IMMUTABLE_ID: 'my-dcr' }, problem: /^PGAUDIT_DCR_IMMUTABLE_ID: must be the DCR immutable id/ },
    { name: 'bad stream', env: { ...valid, PGAUDIT_STREAM_NAME: 'PgAudit_CL' }, problem: /^PGAUDIT_STREAM_NAME: must be a custom stream name/ },
    { name: 'cap too large', env: { ...valid, PGAUDIT_STATEMENT_CAP: '70000' }, problem: /^PGAUDIT_STATEMENT_CAP: must be at most 60000/ },
    { name: 'prefix map not JSON', env: { ...valid, PGAUDIT_SERVER_LOG_LINE_PREFIXES: '{pg:1' }, problem: /^PGAUDIT_SERVER_LOG_LINE_PREFIXES: must be JSON/ },
    { name: 'bad redaction regex', env: { ...valid, PGAUDIT_REDACT_PATTERNS: '["(unclosed"]' }, problem: /^PGAUDIT_REDACT_PATTERNS: .*(unclosed|Invalid|Unterminated)/ },
    { name: 'bad schedule', env: { ...valid, PGAUDIT_SWEEP_SCHEDULE: '*/5 * * * *' }, problem: /^PGAUDIT_SWEEP_SCHEDULE: must be a six-field NCRONTAB/ },
    { name: 'no logs storage', env: { ...valid, PGAUDIT_LOGS_STORAGE__blobServiceUri: undefined }, problem: /^PGAUDIT_LOGS_STORAGE: not set; set PGAUDIT_LOGS_STORAGE__blobServiceUri/ },
    { name: 'storage value not a connection string', env: { ...valid, PGAUDIT_STATE_STORAGE: 'hello' }, problem: /^PGAUDIT_STATE_STORAGE: is not a storage connection string/ },
    { name: 'unsupported credential', env: { ...valid, PGAUDIT_LOGS_STORAGE__credential: 'clientsecret' }, problem: /^PGAUDIT_LOGS_STORAGE__credential: only "managedidentity"/ },
  ])('names the setting: $name', ({ env, problem }) => {
    const problems = problemsOf(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>);
    expect(problems.some((p) => problem.test(p)), problems.join('\n')).toBe(true);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({ PGAUDIT_FLUSH_MB: '0' });
    expect(problems.map((p) => p.split(':')[0])).toEqual(expect.arrayContaining(['PGAUDIT_INGESTION_ENDPOINT', 'PGAUDIT_DCR_IMMUTABLE_ID', 'PGAUDIT_LOGS_STORAGE', 'PGAUDIT_FLUSH_MB']));
  });
});

describe('storageConnectionFromCli', () => {
  it.each([
    { value: 'https://acct.blob.core.windows.net', kind: 'identity' },
    { value: AZURITE, kind: 'connection-string' },
    { value: 'UseDevelopmentStorage=true', kind: 'connection-string' },
  ])('$value is a $kind', ({ value, kind }) => {
    expect(storageConnectionFromCli(value).kind).toBe(kind);
  });
});
