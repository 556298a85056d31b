// Options of the pure pipeline, shared by the CLI and the functions (which validate their own
// inputs with zod and pass the result here).
import { DEFAULT_STATEMENT_CAP, MAX_STATEMENT_CAP, MIN_STATEMENT_CAP } from '../enrich/cap.js';
import { DEFAULT_MAX_RETAINED_CHARS, DEFAULT_MAX_SESSIONS } from '../enrich/sessions.js';
import { DEFAULT_LOG_LINE_PREFIX } from '../parse/log-line-prefix.js';

export interface PipelineOptions {
  /** log_line_prefix of the servers (default `%t-%c-`, Flexible Server's default). */
  readonly logLinePrefix: string;
  /** Per-server log_line_prefix, keyed by lower-case server name. */
  readonly serverLogLinePrefixes: Readonly<Record<string, string>>;
  /** Maximum characters of Statement, Message, Detail, Parameter (default 32,000). */
  readonly statementCap: number;
  /** Extra redaction patterns (`regex` or `/regex/flags`). */
  readonly redactPatterns: readonly string[];
  /** Rows not to ship, `FIELD=VALUE` or `FIELD=/regex/` (src/enrich/filters.ts); counted per rule. */
  readonly filters: readonly string[];
  /** Most sessions remembered for attribution (least recently used are forgotten). */
  readonly maxSessions: number;
  /** Most characters of statements kept for resolving <previously logged>. */
  readonly maxRetainedStatementChars: number;
  /** When the rows are sent (epoch ms; EventTime is set where it would replace TimeGenerated): now, unless told. */
  readonly sendsAt: () => number;
}

export const DEFAULT_PIPELINE_OPTIONS: PipelineOptions = {
  logLinePrefix: DEFAULT_LOG_LINE_PREFIX,
  serverLogLinePrefixes: {},
  statementCap: DEFAULT_STATEMENT_CAP,
  redactPatterns: [],
  filters: [],
  maxSessions: DEFAULT_MAX_SESSIONS,
  maxRetainedStatementChars: DEFAULT_MAX_RETAINED_CHARS,
  sendsAt: Date.now,
};

/** The pipeline's options from the settings of the same names (settings-model.ts). */
export function pipelineOptionsOf(s: Pick<PipelineOptions, 'logLinePrefix' | 'serverLogLinePrefixes' | 'statementCap' | 'redactPatterns' | 'filters'>): Partial<PipelineOptions> {
  return { logLinePrefix: s.logLinePrefix, serverLogLinePrefixes: s.serverLogLinePrefixes, statementCap: s.statementCap, redactPatterns: s.redactPatterns, filters: s.filters };
}

export function pipelineOptions(partial: Partial<PipelineOptions> = {}): PipelineOptions {
  const merged = { ...DEFAULT_PIPELINE_OPTIONS, ...stripUndefined(partial) };
  if (!Number.isInteger(merged.statementCap) || merged.statementCap < MIN_STATEMENT_CAP || merged.statementCap > MAX_STATEMENT_CAP) {
    throw new RangeError(`statement cap must be a whole number of characters from ${MIN_STATEMENT_CAP} to ${MAX_STATEMENT_CAP} (got ${merged.statementCap})`);
  }
  return merged;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
