// One blob line → the Azure diagnostic records it holds. Storage blobs are JSON Lines since
// 2018-11-01; older blobs (and Event Hubs) wrap records in {"records":[...]}. A wrapper on one
// line is decoded whole; a wrapper spread over lines with one record per line is decoded line by
// line (the `{"records":[` head, a trailing `,` and the closing `]}` are tolerated).
import { z } from 'zod';

export const POSTGRESQL_LOGS_CATEGORY = 'PostgreSQLLogs';

const optionalString = z.string().nullish();

const propertiesSchema = z.object({
  timestamp: optionalString,
  processId: z.union([z.number(), z.string()]).nullish(),
  errorLevel: optionalString,
  sqlerrcode: optionalString,
  backend_type: optionalString,
  message: z.string(),
  detail: optionalString,
  context: optionalString,
});

const recordSchema = z.object({
  time: optionalString,
  resourceId: optionalString,
  category: z.string(),
  operationName: optionalString,
  LogicalServerName: optionalString,
  ServerType: optionalString,
  ServerVersion: optionalString,
  Region: optionalString,
  location: optionalString,
  ReplicaRole: optionalString,
  properties: z.unknown(),
});

/** The fields of a PostgreSQLLogs record the pipeline uses (others are ignored). */
export interface DiagnosticRecord {
  readonly time: string | null;
  readonly resourceId: string | null;
  readonly logicalServerName: string | null;
  readonly timestamp: string | null;
  readonly processId: number | null;
  readonly errorLevel: string | null;
  readonly sqlerrcode: string | null;
  readonly backendType: string | null;
  readonly message: string;
  readonly detail: string | null;
  readonly context: string | null;
}

export type RecordResult =
  | { readonly ok: true; readonly record: DiagnosticRecord }
  | { readonly ok: false; readonly kind: 'other-category'; readonly category: string }
  | { readonly ok: false; readonly kind: 'invalid'; readonly reason: string };

export type LineDecodeResult =
  | { readonly ok: true; readonly records: readonly RecordResult[] }
  | { readonly ok: false; readonly reason: string };

const WRAPPER_HEAD = /^\s*\{\s*"records"\s*:\s*\[\s*/;
const WRAPPER_TAIL = /\s*\]\s*\}\s*,?\s*$/;

/** Decodes one line. Blank lines and bare wrapper punctuation give zero records. */
export function decodeLine(line: string): LineDecodeResult {
  // A byte-order mark can only start a blob, but JSON.parse rejects it.
  const text = line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
  const first = firstNonSpace(text);
  if (first < 0) return { ok: true, records: [] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return decodeWrappedLine(text);
  }
  if (isRecordsWrapper(value)) return { ok: true, records: value.records.map(toRecord) };
  return { ok: true, records: [toRecord(value)] };
}

function decodeWrappedLine(text: string): LineDecodeResult {
  // Legacy wrapper with one record per line: strip the head, a trailing comma or the tail.
  const stripped = text.replace(WRAPPER_HEAD, '').replace(WRAPPER_TAIL, '').replace(/,\s*$/, '');
  if (stripped.trim() === '' || /^\s*[\]}]+\s*$/.test(stripped)) return { ok: true, records: [] };
  if (stripped !== text) {
    try {
      return { ok: true, records: [toRecord(JSON.parse(stripped))] };
    } catch {
      // fall through to the generic message
    }
  }
  return { ok: false, reason: describeJsonError(text) };
}

function describeJsonError(text: string): string {
  try {
    JSON.parse(text);
    return 'not a JSON object';
  } catch (err) {
    return `not valid JSON (${(err as Error).message})`;
  }
}

function isRecordsWrapper(value: unknown): value is { records: unknown[] } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { records?: unknown }).records);
}

const RECORD_STRINGS = ['time', 'resourceId', 'operationName', 'LogicalServerName', 'ServerType', 'ServerVersion', 'Region', 'location', 'ReplicaRole'] as const;
const PROPERTY_STRINGS = ['timestamp', 'errorLevel', 'sqlerrcode', 'backend_type', 'detail', 'context'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isOptionalString = (v: unknown): boolean => v == null || typeof v === 'string';

/**
 * The schemas' checks written out, for the hot path (every line of a blob): true exactly when both
 * schemas accept the record. zod's safeParse costs about a tenth of decoding a line; a record this
 * rejects still goes through the schemas, which say why (the property test in
 * diagnostic-record.test.ts holds the two to the same answer).
 */
function plainlyValid(value: unknown): value is { category: string; properties: Record<string, unknown> } & Record<string, unknown> {
  // zod's z.unknown() still wants the key: a record without `properties` is invalid whatever its category.
  if (!isObject(value) || typeof value.category !== 'string' || !('properties' in value)) return false;
  for (const k of RECORD_STRINGS) if (!isOptionalString(value[k])) return false;
  if (value.category !== POSTGRESQL_LOGS_CATEGORY) return true;
  const p = value.properties;
  if (!isObject(p) || typeof p.message !== 'string') return false;
  for (const k of PROPERTY_STRINGS) if (!isOptionalString(p[k])) return false;
  return p.processId == null || typeof p.processId === 'string' || (typeof p.processId === 'number' && Number.isFinite(p.processId));
}

/** Validates one parsed JSON value as a diagnostic record. */
export function toRecord(value: unknown): RecordResult {
  if (plainlyValid(value)) {
    if (value.category !== POSTGRESQL_LOGS_CATEGORY) return { ok: false, kind: 'other-category', category: value.category };
    const p = value.properties;
    return {
      ok: true,
      record: {
        time: (value.time as string | null | undefined) ?? null,
        resourceId: (value.resourceId as string | null | undefined) ?? null,
        logicalServerName: (value.LogicalServerName as string | null | undefined) ?? null,
        timestamp: (p.timestamp as string | null | undefined) ?? null,
        processId: toInt(p.processId as number | string | null | undefined),
        errorLevel: (p.errorLevel as string | null | undefined) ?? null,
        sqlerrcode: (p.sqlerrcode as string | null | undefined) ?? null,
        backendType: (p.backend_type as string | null | undefined) ?? null,
        message: p.message as string,
        detail: (p.detail as string | null | undefined) ?? null,
        context: (p.context as string | null | undefined) ?? null,
      },
    };
  }
  return toRecordBySchema(value);
}

/** toRecord by the zod schemas alone: the definition the fast path follows (exported for its test). */
export function toRecordBySchema(value: unknown): RecordResult {
  const parsed = recordSchema.safeParse(value);
  if (!parsed.success) return { ok: false, kind: 'invalid', reason: `not a diagnostic record: ${zodReason(parsed.error)}` };
  const rec = parsed.data;
  if (rec.category !== POSTGRESQL_LOGS_CATEGORY) return { ok: false, kind: 'other-category', category: rec.category };
  const props = propertiesSchema.safeParse(rec.properties);
  if (!props.success) return { ok: false, kind: 'invalid', reason: `bad properties: ${zodReason(props.error)}` };
  const p = props.data;
  return {
    ok: true,
    record: {
      time: rec.time ?? null,
      resourceId: rec.resourceId ?? null,
      logicalServerName: rec.LogicalServerName ?? null,
      timestamp: p.timestamp ?? null,
      processId: toInt(p.processId),
      errorLevel: p.errorLevel ?? null,
      sqlerrcode: p.sqlerrcode ?? null,
      backendType: p.backend_type ?? null,
      message: p.message,
      detail: p.detail ?? null,
      context: p.context ?? null,
    },
  };
}

function toInt(v: number | string | null | undefined): number | null {
  if (v == null) return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

function zodReason(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(record)'}: ${i.message}`)
    .join('; ');
}

function firstNonSpace(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a && c !== 0xfeff) return i;
  }
  return -1;
}
