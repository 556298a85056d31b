// The one definition of every setting: its app-setting name, CLI option, default, limits and
// zod schema. The Functions app (loadSettings), every CLI command (cli-settings.ts) and the Bicep
// app settings (infra/generated/settings.json, `npm run schema:gen`) all derive from this list,
// so a default or a limit lives in exactly one place (test/unit/settings-model.test.ts).
//
// zod is imported as a type only and handed in by the caller: `parse` and `--help` read this
// list before any schema is needed, and loading zod first would delay parse's decode thread.
import type { z as Zod } from 'zod';
import { compileLogLinePrefix, DEFAULT_LOG_LINE_PREFIX, prefixProblem } from '../parse/log-line-prefix.js';
import { DEFAULT_STATEMENT_CAP, MAX_STATEMENT_CAP, MIN_STATEMENT_CAP } from '../enrich/cap.js';
import { compileFilter } from '../enrich/filters.js';
import { compileUserRule } from '../enrich/redact.js';
import { RUN_STREAM_NAME } from '../run-record-schema.js';
import { STREAM_NAME } from '../schema.js';
import { LOGS_CONTAINER } from './logs-container.js';
import type { StorageConnection } from './storage-connection.js';

type Z = typeof Zod;

export interface CliOption {
  /** Long flag, e.g. `--flush-mb`. */
  readonly flag: string;
  readonly short?: string;
  /** Argument name in --help, e.g. `mb`. */
  readonly arg: string;
  /** Given several times (`--redact a --redact b`); fromCli turns the items into the value. */
  readonly repeatable?: boolean;
}

export interface Setting {
  readonly key: SettingKey;
  /** App setting (and CLI environment fallback). */
  readonly env: string;
  readonly cli: CliOption | null;
  readonly description: string;
  /** The default as an app setting would hold it; undefined: required, or none. */
  readonly default?: string;
  /** Inclusive limits of numeric settings (also written for Bicep's @minValue/@maxValue). */
  readonly min?: number;
  readonly max?: number;
  /** Read by the Functions app, so Bicep sets it. */
  readonly app: boolean;
  /** Text (an app setting, or one CLI value) → typed value. */
  schema(z: Z): Zod.ZodType;
  /**
   * Repeatable CLI items → the text of the JSON app setting (so both pass the same schema).
   * Throws an Error saying what an item should look like.
   */
  fromCli?(items: readonly string[]): string;
  /** A storage connection: the app reads `<env>` or `<env>__blobServiceUri` etc. (storage-connection.ts). */
  readonly connection?: true;
}

/** A further DCR (a shard) that servers are assigned to by a stable hash (src/ship/dcr-shards.ts). */
export interface DcrShardTarget {
  readonly endpoint: string;
  readonly immutableId: string;
}

/** The typed value of every setting. */
export interface SettingValues {
  ingestionEndpoint: string;
  dcrImmutableId: string;
  streamName: string;
  logsContainer: string;
  stateContainer: string;
  deadLetterContainer: string;
  queueName: string;
  logLinePrefix: string;
  serverLogLinePrefixes: Record<string, string>;
  statementCap: number;
  redactPatterns: string[];
  filters: string[];
  lookbackHours: number;
  runStreamName: string;
  flushMb: number;
  concurrency: number;
  uploadTimeoutSeconds: number;
  uploadAttempts: number;
  runBudgetMinutes: number;
  sweepSchedule: string;
  dcrShards: DcrShardTarget[];
  clientId: string;
  logsStorage: StorageConnection;
  stateStorage: StorageConnection;
  heapMb: number;
}

const CONTAINER = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/;

/** An integer or decimal setting within [min, max]; the message names the limits. */
function numeric(z: Z, min: number, max: number, int: boolean): Zod.ZodType {
  const what = int ? 'a whole number' : 'a number';
  return z
    .string()
    .trim()
    .regex(int ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/, `must be ${what} from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

/** A JSON app setting validated by `value`; `example` shows a valid one in the message. */
function json(z: Z, value: Zod.ZodType, example: string): Zod.ZodType {
  return z.string().transform((text, ctx): unknown => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be JSON, e.g. ${example}` });
      return z.NEVER;
    }
    const r = value.safeParse(parsed);
    if (r.success) return r.data;
    ctx.addIssue({ code: 'custom', message: `${r.error.issues[0]?.message ?? 'is not valid'}; e.g. ${example}` });
    return z.NEVER;
  });
}

function prefixSchema(z: Z): Zod.ZodType<string> {
  return z.string().superRefine((p, ctx) => {
    const problem = prefixProblem(p);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
    else compileLogLinePrefix(p);
  });
}

function redactList(z: Z): Zod.ZodType<string[]> {
  return z.array(z.string()).superRefine((patterns, ctx) => {
    patterns.forEach((p, i) => {
      try {
        compileUserRule(p, i);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    });
  });
}

function filterList(z: Z): Zod.ZodType<string[]> {
  return z.array(z.string()).superRefine((rules, ctx) => {
    for (const rule of rules) {
      try {
        compileFilter(rule);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }
  });
}

function prefixMap(z: Z): Zod.ZodType<Record<string, string>> {
  return z.record(z.string().min(1, 'a server name must not be empty'), prefixSchema(z)).transform((m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k.toLowerCase(), v])));
}

/** A numeric setting: its limits are written once and both the schema and Bicep read them. */
const numberSetting = (o: { key: SettingKey; env: string; flag: string; arg: string; default: string; min: number; max: number; whole: boolean; description: string }): Setting => ({
  key: o.key, env: o.env, app: true, default: o.default, min: o.min, max: o.max, description: o.description,
  cli: { flag: o.flag, arg: o.arg },
  schema: (z) => numeric(z, o.min, o.max, o.whole),
});

/** A storage connection as typed on the command line (the app form is read by storage-connection.ts). */
function storageSchema(z: Z): Zod.ZodType<string> {
  return z.string().refine((v) => /^https?:\/\/[^;\s]+$/.test(v) || /(^|;)(AccountName|BlobEndpoint)=|UseDevelopmentStorage=true/i.test(v), 'must be https://<account>.blob.core.windows.net or a storage connection string (AccountName=…;AccountKey=… or BlobEndpoint=…)');
}

const container = (key: SettingKey, env: string, flag: string, def: string, what: string): Setting => ({
  key, env, default: def, app: true, description: what,
  cli: { flag, arg: 'name' },
  schema: (z) => z.string().regex(CONTAINER, 'must be a blob container name (3-63 lower-case letters, digits and single hyphens)'),
});

export const SETTINGS: readonly Setting[] = [
  {
    key: 'ingestionEndpoint', env: 'PGAUDIT_INGESTION_ENDPOINT', app: true,
    cli: { flag: '--endpoint', arg: 'url' },
    description: 'Logs Ingestion endpoint of the DCR (properties.endpoints.logsIngestion), https://…ingest.monitor.azure.com',
    schema: (z) => z.url({ protocol: /^https$/, message: 'must be the https:// Logs Ingestion endpoint of the DCR (properties.endpoints.logsIngestion)' }),
  },
  {
    key: 'dcrImmutableId', env: 'PGAUDIT_DCR_IMMUTABLE_ID', app: true,
    cli: { flag: '--rule-id', arg: 'dcr-id' },
    description: 'immutable id of the DCR: "dcr-" and 32 hex digits',
    schema: (z) => z.string().regex(/^dcr-[0-9a-f]{32}$/, 'must be the DCR immutable id, "dcr-" and 32 hex digits'),
  },
  {
    key: 'streamName', env: 'PGAUDIT_STREAM_NAME', app: true, default: STREAM_NAME,
    cli: { flag: '--stream', arg: 'name' },
    description: 'DCR stream the rows are sent to',
    schema: (z) => z.string().regex(/^Custom-[A-Za-z0-9_]+$/, 'must be a custom stream name such as Custom-PgAudit_CL'),
  },
  {
    key: 'runStreamName', env: 'PGAUDIT_RUN_STREAM_NAME', app: true, default: RUN_STREAM_NAME,
    cli: { flag: '--run-stream', arg: 'name' },
    description: 'DCR stream the run records (PgAuditIngest_CL) are sent to',
    schema: (z) => z.string().regex(/^Custom-[A-Za-z0-9_]+$/, 'must be a custom stream name such as Custom-PgAuditIngest_CL'),
  },
  container('logsContainer', 'PGAUDIT_LOGS_CONTAINER', '--container', LOGS_CONTAINER, 'container of the diagnostic blobs (the Event Grid subscription filters on the same name)'),
  container('stateContainer', 'PGAUDIT_STATE_CONTAINER', '--state-container', 'pgaudit-state', 'container for checkpoints, session state and leases'),
  container('queueName', 'PGAUDIT_QUEUE_NAME', '--queue', 'pgaudit-servers', 'Storage queue of the state account: the timer sweep puts one planning message per shard of servers on it, the planners one message per server with work; the shipServer function takes both (its poison queue is <name>-poison)'),
  container('deadLetterContainer', 'PGAUDIT_DEADLETTER_CONTAINER', '--deadletter-container', 'pgaudit-deadletter', 'container for rows the service refused'),
  {
    key: 'logLinePrefix', env: 'PGAUDIT_LOG_LINE_PREFIX', app: true, default: DEFAULT_LOG_LINE_PREFIX,
    cli: { flag: '--log-line-prefix', short: '-p', arg: 'prefix' },
    description: "the servers' log_line_prefix",
    schema: prefixSchema,
  },
  {
    key: 'serverLogLinePrefixes', env: 'PGAUDIT_SERVER_LOG_LINE_PREFIXES', app: true, default: '{}',
    cli: { flag: '--server-prefix', arg: 'server=prefix', repeatable: true },
    description: 'log_line_prefix of one server, by server name (JSON object as an app setting; repeatable SERVER=PREFIX on the command line)',
    schema: (z) => json(z, prefixMap(z), '{"myserver":"%m [%p] %q%u@%d "}'),
    fromCli: (items) => JSON.stringify(Object.fromEntries(items.map((item) => {
      const eq = item.indexOf('=');
      if (eq <= 0) throw new Error(`expects SERVER=PREFIX (got ${JSON.stringify(item)})`);
      return [item.slice(0, eq), item.slice(eq + 1)];
    }))),
  },
  numberSetting({
    key: 'statementCap', env: 'PGAUDIT_STATEMENT_CAP', default: String(DEFAULT_STATEMENT_CAP), min: MIN_STATEMENT_CAP, max: MAX_STATEMENT_CAP, whole: true,
    flag: '--statement-cap', arg: 'chars',
    description: 'cap for Statement, Message, Detail and Parameter (Log Analytics cuts fields at 64 KB)',
  }),
  {
    key: 'redactPatterns', env: 'PGAUDIT_REDACT_PATTERNS', app: true, default: '[]',
    cli: { flag: '--redact', arg: 'pattern', repeatable: true },
    description: 'extra redaction regexes, `re` or `/re/flags`; a group named "secret" limits what is replaced (JSON array as an app setting; repeatable on the command line)',
    schema: (z) => json(z, redactList(z), '["api_key=\\\\w+"]'),
    fromCli: (items) => JSON.stringify(items),
  },
  {
    key: 'filters', env: 'PGAUDIT_FILTERS', app: true, default: '[]',
    cli: { flag: '--exclude', arg: 'field=value', repeatable: true },
    description: 'rows not to ship, FIELD=VALUE or FIELD=/regex/flags, FIELD one of EventType, UserName, DatabaseName, ApplicationName, Class, Command; counted per rule (JSON array of such strings as an app setting; repeatable on the command line)',
    schema: (z) => json(z, filterList(z), '["UserName=azuresu"]'),
    fromCli: (items) => JSON.stringify(items),
  },
  numberSetting({
    key: 'lookbackHours', env: 'PGAUDIT_LOOKBACK_HOURS', default: '48', min: 1, max: 720, whole: true,
    flag: '--lookback-hours', arg: 'hours',
    description: 'blobs of this many past hours are checked for late appends (Azure may append to a blob after its hour): the current day at every sweep, older days once an hour per server; a cut last line waits this long before it becomes an UNPARSED row',
  }),
  numberSetting({
    key: 'flushMb', env: 'PGAUDIT_FLUSH_MB', default: '8', min: 0.1, max: 64, whole: false,
    flag: '--flush-mb', arg: 'mb',
    description: 'upload (and checkpoint) when this many MB of rows are pending',
  }),
  numberSetting({
    key: 'concurrency', env: 'PGAUDIT_CONCURRENCY', default: '4', min: 1, max: 64, whole: true,
    flag: '--concurrency', arg: 'n',
    description: 'servers shipped in parallel by one run',
  }),
  numberSetting({
    key: 'uploadTimeoutSeconds', env: 'PGAUDIT_UPLOAD_TIMEOUT_SECONDS', default: '60', min: 1, max: 600, whole: true,
    flag: '--upload-timeout-seconds', arg: 'seconds',
    description: 'one upload attempt is abandoned (and retried) after this long without an answer',
  }),
  numberSetting({
    key: 'uploadAttempts', env: 'PGAUDIT_UPLOAD_ATTEMPTS', default: '6', min: 1, max: 20, whole: true,
    flag: '--upload-attempts', arg: 'n',
    description: 'attempts of one request on 408/429/5xx, network errors and timeouts (backoff 1 s doubling, or Retry-After) before the run stops; nothing is dead-lettered for these',
  }),
  numberSetting({
    key: 'runBudgetMinutes', env: 'PGAUDIT_RUN_BUDGET_MINUTES', default: '8', min: 0, max: 1440, whole: true,
    flag: '--run-budget-minutes', arg: 'minutes',
    description: 'a run stops at a checkpoint and gives up its leases after this long (0: no limit); the next run resumes',
  }),
  {
    // Read by bin/pgaudit-ingest.js before the command line is parsed, so an environment variable only.
    key: 'heapMb', env: 'PGAUDIT_INGEST_HEAP_MB', app: false, default: '160', min: 0, max: 65_536, cli: null,
    description: 'old-space cap in MB of the thread the shipping commands run in (0: no cap; parse is never capped); the environment only, read by the launcher',
    schema: (z) => numeric(z, 0, 65_536, true),
  },
  {
    key: 'sweepSchedule', env: 'PGAUDIT_SWEEP_SCHEDULE', app: true, default: '0 */5 * * * *', cli: null,
    description: 'NCRONTAB (six fields) of the timer sweep',
    schema: (z) => z.string().trim().regex(/^(\S+\s+){5}\S+$/, 'must be a six-field NCRONTAB expression such as "0 */5 * * * *"'),
  },
  {
    key: 'dcrShards', env: 'PGAUDIT_DCR_SHARDS', app: true, default: '[]', cli: null,
    description: 'further DCRs beyond PGAUDIT_INGESTION_ENDPOINT/PGAUDIT_DCR_IMMUTABLE_ID (shard 0), as a JSON array of {"endpoint","immutableId"}; each server ships through one shard, chosen by a stable hash of its path; all write the same tables (Bicep sets it from its dcrShards parameter)',
    schema: (z) => json(z, z.array(z.object({
      endpoint: z.url({ protocol: /^https$/, message: 'endpoint must be the https:// Logs Ingestion endpoint of the DCR' }),
      immutableId: z.string().regex(/^dcr-[0-9a-f]{32}$/, 'immutableId must be "dcr-" and 32 hex digits'),
    }).strict()).max(99, 'at most 99 further DCRs'), '[{"endpoint":"https://dcr-x.westeurope-1.ingest.monitor.azure.com","immutableId":"dcr-0123456789abcdef0123456789abcdef"}]'),
  },
  {
    key: 'logsStorage', env: 'PGAUDIT_LOGS_STORAGE', app: true, connection: true,
    cli: { flag: '--storage', arg: 'conn|url' },
    description: 'the diagnostic-logs storage account: https://<account>.blob.core.windows.net (with the managed identity or az login), or a connection string (Azurite)',
    schema: storageSchema,
  },
  {
    key: 'stateStorage', env: 'PGAUDIT_STATE_STORAGE', app: true, connection: true,
    cli: { flag: '--state-storage', arg: 'conn|url' },
    description: 'storage for checkpoints, sessions, leases and dead letters (default: the logs storage; the deployment uses the function\'s own account, the logs account is read-only)',
    schema: storageSchema,
  },
  {
    key: 'clientId', env: 'AZURE_CLIENT_ID', app: true,
    cli: { flag: '--client-id', arg: 'id' },
    description: 'client id of the user-assigned managed identity (DefaultAzureCredential); empty: the system-assigned one or az login',
    schema: (z) =>
      z
        .string()
        .regex(/^$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a client id (a GUID), or empty')
        .transform((v) => v || undefined),
  },
];

export type SettingKey = keyof SettingValues;
/** The settings without a default (test/unit/settings-model.test.ts keeps this list exact). */
export type KeyWithoutDefault = 'ingestionEndpoint' | 'dcrImmutableId' | 'clientId' | 'logsStorage' | 'stateStorage';
/** What resolving `K` with `R` required gives: defaulted and required keys are always there. */
export type Resolved<K extends SettingKey, R extends K> = Pick<SettingValues, Exclude<K, KeyWithoutDefault> | R> & Partial<Pick<SettingValues, K>>;

export const SETTINGS_BY_KEY: ReadonlyMap<SettingKey, Setting> = new Map(SETTINGS.map((s) => [s.key, s]));

export function setting(key: SettingKey): Setting {
  return SETTINGS_BY_KEY.get(key)!;
}

/** The default of a setting that has one (as text). */
export function defaultOf(key: SettingKey): string {
  const d = setting(key).default;
  if (d === undefined) throw new Error(`setting ${key} has no default`);
  return d;
}

/**
 * The content of infra/generated/settings.json: what Bicep needs to write the app settings. The
 * storage connections are apart: Bicep writes each as `<env>__blobServiceUri`, `__credential` and
 * `__clientId` (storage-connection.ts reads them).
 */
export function settingsJson(): {
  settings: Record<string, { env: string; default: string | null; min: number | null; max: number | null; description: string }>;
  connections: Record<string, { env: string; description: string }>;
} {
  const app = SETTINGS.filter((s) => s.app);
  return {
    settings: Object.fromEntries(
      app.filter((s) => !s.connection).map((s) => [s.key, { env: s.env, default: s.default ?? null, min: s.min ?? null, max: s.max ?? null, description: s.description }]),
    ),
    connections: Object.fromEntries(app.filter((s) => s.connection).map((s) => [s.key, { env: s.env, description: s.description }])),
  };
}

/** The settings each command takes, by group (their options appear in this order in --help). */
export const PIPELINE_KEYS = ['logLinePrefix', 'serverLogLinePrefixes', 'statementCap', 'redactPatterns', 'filters'] as const satisfies readonly SettingKey[];
export const STORAGE_KEYS = ['logsStorage', 'stateStorage', 'clientId', 'logsContainer', 'stateContainer', 'deadLetterContainer', 'queueName'] as const satisfies readonly SettingKey[];
export const INGESTION_KEYS = ['ingestionEndpoint', 'dcrImmutableId', 'streamName', 'runStreamName', 'uploadTimeoutSeconds', 'uploadAttempts'] as const satisfies readonly SettingKey[];
export const RUN_KEYS = ['lookbackHours', 'flushMb', 'concurrency', 'runBudgetMinutes'] as const satisfies readonly SettingKey[];
/** Everything a shipping run reads (the CLI and the Functions app alike). */
export const SHIP_KEYS = [...STORAGE_KEYS, ...INGESTION_KEYS, ...PIPELINE_KEYS, ...RUN_KEYS] as const;
/** Everything the Functions app reads: a shipping run's settings, the timer's schedule and the DCR shards. */
export const APP_KEYS = [...SHIP_KEYS, 'sweepSchedule', 'dcrShards'] as const;
/** Settings every shipping run needs. */
export const REQUIRED_FOR_SHIPPING = ['ingestionEndpoint', 'dcrImmutableId', 'logsStorage'] as const satisfies readonly SettingKey[];
