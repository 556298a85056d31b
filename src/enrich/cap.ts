// Size caps. Log Analytics truncates field values over 64 KB and a Logs Ingestion call takes at
// most 1 MB, so long statements are cut (after redaction) and the cut is recorded on the row.

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

/** Cuts `text` to at most `cap` characters without splitting a surrogate pair. */
export function capText(text: string, cap: number): CappedText {
  if (text.length <= cap) return { text, truncated: false, length: text.length };
  let end = cap;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return { text: text.slice(0, end), truncated: true, length: text.length };
}
