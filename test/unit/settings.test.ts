import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { SettingsError } from '../../src/config/settings-error.js';
import { storageConnectionFromCli } from '../../src/config/storage-connection.js';

const AZURITE = 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;';
const valid = {
  PGAUDIT_INGESTION_ENDPOINT: 'https://my-dcr-abcd.westeurope-1.ingest.monitor.azure.com',
  PGAUDIT_DCR_IMMUTABLE_ID: 'dcr-0123456789abcdef0123456789abcdef',
  PGAUDIT_LOGS_STORAGE__blobServiceUri: 'https://logs.blob.core.windows.net',
  PGAUDIT_LOGS_STORAGE__credential: 'managedidentity',
  PGAUDIT_LOGS_STORAGE__clientId: '11111111-1111-1111-1111-111111111111',
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

describe('loadSettings', () => {
  it('applies defaults and reads identity-based and connection-string storage', () => {
    const s = loadSettings({ ...valid, AZURE_CLIENT_ID: 'abc' });
    expect(s).toMatchObject({
      stream: 'Custom-PgAudit_CL',
      logsContainer: 'insights-logs-postgresqllogs',
      stateContainer: 'pgaudit-state',
      deadLetterContainer: 'pgaudit-deadletter',
      logLinePrefix: '%t-%c-',
      statementCap: 32_000,
      graceMs: 15 * 60_000,
      flushBytes: 8_000_000,
      redactPatterns: [],
      managedIdentityClientId: 'abc',
    });
    expect(s.logsStorage).toEqual({ kind: 'identity', blobServiceUri: 'https://logs.blob.core.windows.net', clientId: '11111111-1111-1111-1111-111111111111', managedIdentity: true });
    expect(s.stateStorage).toEqual({ kind: 'connection-string', connectionString: AZURITE });
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
    { name: 'bad redaction regex', env: { ...valid, PGAUDIT_REDACT_PATTERNS: '["(unclosed"]' }, problem: /^PGAUDIT_REDACT_PATTERNS: .*unclosed|^PGAUDIT_REDACT_PATTERNS: .*(Invalid|Unterminated)/ },
    { name: 'no logs storage', env: { ...valid, PGAUDIT_LOGS_STORAGE__blobServiceUri: undefined }, problem: /^PGAUDIT_LOGS_STORAGE: not set; set PGAUDIT_LOGS_STORAGE__blobServiceUri/ },
    { name: 'storage value not a connection string', env: { ...valid, PGAUDIT_STATE_STORAGE: 'hello' }, problem: /^PGAUDIT_STATE_STORAGE: is not a storage connection string/ },
    { name: 'unsupported credential', env: { ...valid, PGAUDIT_LOGS_STORAGE__credential: 'clientsecret' }, problem: /^PGAUDIT_LOGS_STORAGE__credential: only "managedidentity"/ },
  ])('names the setting: $name', ({ env, problem }) => {
    const problems = problemsOf(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>);
    expect(problems.some((p) => problem.test(p)), problems.join('\n')).toBe(true);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({});
    expect(problems.map((p) => p.split(':')[0])).toEqual(expect.arrayContaining(['PGAUDIT_INGESTION_ENDPOINT', 'PGAUDIT_DCR_IMMUTABLE_ID', 'PGAUDIT_LOGS_STORAGE', 'PGAUDIT_STATE_STORAGE']));
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
