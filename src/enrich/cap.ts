// Size caps. Log Analytics truncates field values over 64 KB and a Logs Ingestion call takes at
// most 1 MB, so long statements are cut (after redaction) and the cut is recorded on the row.
import { LOGS_INGESTION_LIMITS } from '../service-limits.js';

export const DEFAULT_STATEMENT_CAP = 32_000;
/** A cap below this cuts ordinary statements; above this Log Analytics would cut the field (64 KB). */
export const MIN_STATEMENT_CAP = 100;
export const MAX_STATEMENT_CAP = 60_000;

export interface CappedText {
  readonly text: string;
  readonly truncated: boolean;
  /** Length in UTF-16 code units before the cap. */
  readonly length: number;
}

/** A UTF-16 unit is at most 3 UTF-8 bytes, so text this short always fits a field. */
const ALWAYS_FITS_UNITS = Math.floor(LOGS_INGESTION_LIMITS.fieldBytes.value / 3);

/**
 * Cuts `text` to at most `cap` characters without splitting a surrogate pair, and to at most the
 * service's field size in UTF-8 bytes: Log Analytics truncates a longer field silently, so 60,000
 * characters of CJK text (180,000 bytes) are cut here instead, where the cut is recorded.
 */
export function capText(text: string, cap: number): CappedText {
  let out = text;
  if (out.length > cap) {
    let end = cap;
    const last = out.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end--;
    out = out.slice(0, end);
  }
  if (out.length > ALWAYS_FITS_UNITS) out = toUtf8Bytes(out, LOGS_INGESTION_LIMITS.fieldBytes.value);
  return { text: out, truncated: out.length < text.length, length: text.length };
}

/** The longest prefix of `text` of at most `max` UTF-8 bytes that ends at a character boundary. */
function toUtf8Bytes(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  let end = max;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--; // back to the first byte of a character
  return bytes.toString('utf8', 0, end);
}
