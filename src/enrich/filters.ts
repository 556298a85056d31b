// Rows a user chooses not to pay for (PGAUDIT_FILTERS, `--exclude FIELD=VALUE`): a rule names a
// column and an exact value or a /regex/. Filtered rows are counted per rule (the summary, the run
// records' RowsFiltered), so "filtered" is never mistaken for "lost". GAP and UNPARSED rows cannot
// be filtered: they are how lost and undecodable data shows.
import type { PgAuditRow } from '../schema.js';

export const FILTER_FIELDS = ['EventType', 'UserName', 'DatabaseName', 'ApplicationName', 'Class', 'Command'] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];
const PROTECTED_EVENT_TYPES = new Set(['GAP', 'UNPARSED']);

export interface FilterRule {
  /** The rule as written (`UserName=azuresu`): its name in counts. */
  readonly name: string;
  readonly field: FilterField;
  matches(value: string | null): boolean;
}

/** Compiles `FIELD=VALUE` (VALUE exact, or `/regex/flags`). Throws an Error saying what is wrong. */
export function compileFilter(text: string): FilterRule {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new Error(`filter ${JSON.stringify(text)} must be FIELD=VALUE, e.g. UserName=azuresu`);
  const field = text.slice(0, eq) as FilterField;
  const value = text.slice(eq + 1);
  if (!FILTER_FIELDS.includes(field)) throw new Error(`filter ${JSON.stringify(text)}: the field must be one of ${FILTER_FIELDS.join(', ')}`);
  if (value === '') throw new Error(`filter ${JSON.stringify(text)}: the value is empty`);
  const regex = /^\/([\s\S]+)\/([a-z]*)$/.exec(value);
  let matches: (v: string | null) => boolean;
  if (regex) {
    let re: RegExp;
    try {
      re = new RegExp(regex[1]!, regex[2]!.replace('g', ''));
    } catch (err) {
      throw new Error(`filter ${JSON.stringify(text)}: ${(err as Error).message}`, { cause: err });
    }
    matches = (v) => v !== null && re.test(v);
  } else {
    matches = (v) => v === value;
  }
  if (field === 'EventType' && [...PROTECTED_EVENT_TYPES].some((t) => matches(t))) {
    throw new Error(`filter ${JSON.stringify(text)} would drop GAP or UNPARSED rows, which show lost and undecodable data; they cannot be filtered`);
  }
  return { name: text, field, matches };
}

/** The first rule a row matches, or null. GAP and UNPARSED rows match none. */
export function matchingRule(rules: readonly FilterRule[], row: PgAuditRow): FilterRule | null {
  if (rules.length === 0 || PROTECTED_EVENT_TYPES.has(row.EventType ?? '')) return null;
  for (const rule of rules) if (rule.matches(row[rule.field])) return rule;
  return null;
}
