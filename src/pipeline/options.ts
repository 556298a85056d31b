// Options of the pure pipeline, shared by the CLI and the functions (which validate their own
// inputs with zod and pass the result here).
import { DEFAULT_STATEMENT_CAP } from '../enrich/cap.js';
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
  /** Most sessions remembered for attribution (least recently used are forgotten). */
  readonly maxSessions: number;
  /** Most characters of statements kept for resolving <previously logged>. */
  readonly maxRetainedStatementChars: number;
}

export const DEFAULT_PIPELINE_OPTIONS: PipelineOptions = {
  logLinePrefix: DEFAULT_LOG_LINE_PREFIX,
  serverLogLinePrefixes: {},
  statementCap: DEFAULT_STATEMENT_CAP,
  redactPatterns: [],
  maxSessions: DEFAULT_MAX_SESSIONS,
  maxRetainedStatementChars: DEFAULT_MAX_RETAINED_CHARS,
};

export function pipelineOptions(partial: Partial<PipelineOptions> = {}): PipelineOptions {
  const merged = { ...DEFAULT_PIPELINE_OPTIONS, ...stripUndefined(partial) };
  if (!Number.isInteger(merged.statementCap) || merged.statementCap < 100) {
    throw new RangeError(`statement cap must be an integer of at least 100 characters (got ${merged.statementCap})`);
  }
  return merged;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
