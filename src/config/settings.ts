// Function app settings, validated once at start-up with zod. Every message names the setting
// and says what a valid value looks like, because these errors are read in the portal's logs.
import { z } from 'zod';
import { compileUserRule } from '../enrich/redact.js';
import { compileLogLinePrefix, DEFAULT_LOG_LINE_PREFIX } from '../parse/log-line-prefix.js';
import { DEFAULT_STATEMENT_CAP } from '../enrich/cap.js';
import { STREAM_NAME } from '../schema.js';
import { LOGS_CONTAINER } from './logs-container.js';
import { SettingsError } from './settings-error.js';
import { storageConnectionFromEnv, type StorageConnection } from './storage-connection.js';

const jsonOf = <T extends z.ZodType>(schema: T, example: string) =>
  z.string().transform((text, ctx): z.infer<T> => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be JSON, e.g. ${example}` });
      return z.NEVER;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: `${parsed.error.issues[0]?.message ?? 'invalid'}; e.g. ${example}` });
      return z.NEVER;
    }
    return parsed.data;
  });

const prefix = z.string().min(1).refine((p) => {
  try {
    compileLogLinePrefix(p);
    return true;
  } catch {
    return false;
  }
}, 'is not a usable log_line_prefix');

const envSchema = z.object({
  PGAUDIT_INGESTION_ENDPOINT: z.url({ protocol: /^https$/, message: 'must be the https:// logs ingestion endpoint of the DCR (properties.endpoints.logsIngestion)' }),
  PGAUDIT_DCR_IMMUTABLE_ID: z.string().regex(/^dcr-[0-9a-f]{32}$/, 'must be the DCR immutable id, "dcr-" and 32 hex digits'),
  PGAUDIT_STREAM_NAME: z.string().regex(/^Custom-[A-Za-z0-9_]+$/, 'must be a custom stream name such as Custom-PgAudit_CL').default(STREAM_NAME),
  PGAUDIT_LOGS_CONTAINER: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/, 'must be a blob container name').default(LOGS_CONTAINER),
  PGAUDIT_STATE_CONTAINER: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/).default('pgaudit-state'),
  PGAUDIT_DEADLETTER_CONTAINER: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/).default('pgaudit-deadletter'),
  PGAUDIT_LOG_LINE_PREFIX: prefix.default(DEFAULT_LOG_LINE_PREFIX),
  PGAUDIT_SERVER_LOG_LINE_PREFIXES: jsonOf(z.record(z.string(), prefix), '{"myserver":"%m [%p] %q%u@%d "}').optional(),
  PGAUDIT_STATEMENT_CAP: z.coerce.number().int().min(100, 'must be at least 100').max(60_000, 'must be at most 60000 (Log Analytics cuts fields at 64 KB)').default(DEFAULT_STATEMENT_CAP),
  PGAUDIT_REDACT_PATTERNS: jsonOf(
    z.array(z.string()).superRefine((patterns, ctx) => {
      patterns.forEach((p, i) => {
        try {
          compileUserRule(p, i);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      });
    }),
    '["api_key=\\\\w+"]',
  ).optional(),
  PGAUDIT_GRACE_MINUTES: z.coerce.number().int().min(0).max(180).default(15),
  PGAUDIT_FLUSH_MB: z.coerce.number().min(1).max(64).default(8),
});

export interface Settings {
  readonly endpoint: string;
  readonly ruleId: string;
  readonly stream: string;
  readonly logsContainer: string;
  readonly stateContainer: string;
  readonly deadLetterContainer: string;
  readonly logLinePrefix: string;
  readonly serverLogLinePrefixes: Record<string, string>;
  readonly statementCap: number;
  readonly redactPatterns: string[];
  readonly graceMs: number;
  readonly flushBytes: number;
  readonly logsStorage: StorageConnection;
  readonly stateStorage: StorageConnection;
  readonly managedIdentityClientId: string | undefined;
}

/** Reads and validates the settings; throws one SettingsError listing every problem. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const problems: string[] = [];
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? '(settings)');
      problems.push(`${name}: ${issue.code === 'invalid_type' && env[name] === undefined ? 'is required but not set' : issue.message}`);
    }
  }
  const logsStorage = storageConnectionFromEnv('PGAUDIT_LOGS_STORAGE', env, problems);
  const stateStorage = storageConnectionFromEnv('PGAUDIT_STATE_STORAGE', env, problems);
  if (!parsed.success || !logsStorage || !stateStorage) throw new SettingsError(problems);
  const s = parsed.data;
  return {
    endpoint: s.PGAUDIT_INGESTION_ENDPOINT,
    ruleId: s.PGAUDIT_DCR_IMMUTABLE_ID,
    stream: s.PGAUDIT_STREAM_NAME,
    logsContainer: s.PGAUDIT_LOGS_CONTAINER,
    stateContainer: s.PGAUDIT_STATE_CONTAINER,
    deadLetterContainer: s.PGAUDIT_DEADLETTER_CONTAINER,
    logLinePrefix: s.PGAUDIT_LOG_LINE_PREFIX,
    serverLogLinePrefixes: Object.fromEntries(Object.entries(s.PGAUDIT_SERVER_LOG_LINE_PREFIXES ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    statementCap: s.PGAUDIT_STATEMENT_CAP,
    redactPatterns: s.PGAUDIT_REDACT_PATTERNS ?? [],
    graceMs: s.PGAUDIT_GRACE_MINUTES * 60_000,
    flushBytes: Math.round(s.PGAUDIT_FLUSH_MB * 1_000_000),
    logsStorage,
    stateStorage,
    managedIdentityClientId: env.AZURE_CLIENT_ID || undefined,
  };
}
