// csv-parse, the independent CSV parser the tests compare against (never used by the product).
import { parse } from 'csv-parse/sync';
import type { Options } from 'csv-parse/sync';

/** All records of `text` as csv-parse reads them (throws when csv-parse rejects the text). */
export function csvRecords(text: string, options: Omit<Options, 'columns' | 'objname'> = {}): string[][] {
  return parse(text, { ...options, columns: false });
}
