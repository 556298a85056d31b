// The pgAudit payload after `AUDIT: `: AUDIT_TYPE,STATEMENT_ID,SUBSTATEMENT_ID,CLASS,COMMAND,
// OBJECT_TYPE,OBJECT_NAME,STATEMENT,PARAMETER[,ROWS] — one CSV record (pgaudit.c). PARAMETER is
// itself a CSV list of the bound values, escaped once more as a whole.
import { splitCsvRecord } from './csv-record.js';

export const AUDIT_PREFIX = 'AUDIT: ';

/** Placeholders pgAudit prints instead of a statement or parameter list. */
export const NOT_LOGGED = '<not logged>';
export const NO_PARAMETERS = '<none>';
export const PREVIOUSLY_LOGGED = '<previously logged>';
export const LONG_PARAM_SUPPRESSED = '<long param suppressed>';

export interface AuditEntry {
  readonly auditType: string;
  readonly statementId: number;
  readonly substatementId: number;
  readonly className: string | null;
  readonly command: string | null;
  readonly objectType: string | null;
  readonly objectName: string | null;
  readonly statement: string;
  readonly parameter: string;
  /** Bound values (NULL → null); null when the parameters were not logged or there were none. */
  readonly parameters: (string | null)[] | null;
  readonly rows: number | null;
}

export type AuditEntryResult = { readonly ok: true; readonly entry: AuditEntry } | { readonly ok: false; readonly reason: string };

const AUDIT_TYPES = new Set(['SESSION', 'OBJECT']);
const UNSIGNED = /^\d+$/;

export function isAuditMessage(message: string): boolean {
  return message.startsWith(AUDIT_PREFIX);
}

/** Parses the text after `AUDIT: `. */
export function parseAuditEntry(payload: string): AuditEntryResult {
  const csv = splitCsvRecord(payload);
  if (!csv.ok) return { ok: false, reason: `pgAudit record is not valid CSV: ${csv.reason}` };
  const f = csv.fields;
  if (f.length !== 9 && f.length !== 10) {
    return { ok: false, reason: `pgAudit record has ${f.length} fields, expected 9 (or 10 with pgaudit.log_rows)` };
  }
  const [auditType, statementId, substatementId, className, command, objectType, objectName, statement, parameter, rows] = f as [
    string, string, string, string, string, string, string, string, string, string | undefined,
  ];
  if (!AUDIT_TYPES.has(auditType)) return { ok: false, reason: `unknown pgAudit audit type ${JSON.stringify(auditType.slice(0, 40))}` };
  if (!UNSIGNED.test(statementId) || !UNSIGNED.test(substatementId)) {
    return { ok: false, reason: `pgAudit statement ids are not numbers (${JSON.stringify(statementId.slice(0, 20))},${JSON.stringify(substatementId.slice(0, 20))})` };
  }
  if (rows !== undefined && !UNSIGNED.test(rows)) return { ok: false, reason: `pgAudit ROWS field is not a number (${JSON.stringify(rows.slice(0, 20))})` };
  return {
    ok: true,
    entry: {
      auditType,
      statementId: Number(statementId),
      substatementId: Number(substatementId),
      className: orNull(className),
      command: orNull(command),
      objectType: orNull(objectType),
      objectName: orNull(objectName),
      statement,
      parameter,
      parameters: decodeParameters(parameter),
      rows: rows === undefined ? null : Number(rows),
    },
  };
}

/**
 * PARAMETER as a list: pgAudit joins the values with `,`, each CSV-escaped, and prints nothing
 * for NULL (so an empty value and NULL look the same; both become null). Placeholders → null.
 */
export function decodeParameters(parameter: string): (string | null)[] | null {
  if (parameter === NOT_LOGGED || parameter === NO_PARAMETERS || parameter === PREVIOUSLY_LOGGED) return null;
  const csv = splitCsvRecord(parameter);
  // A list that is not valid CSV cannot be split reliably: keep it whole.
  if (!csv.ok) return [parameter];
  return csv.fields.map((v) => (v === '' ? null : v));
}

function orNull(text: string): string | null {
  return text === '' ? null : text;
}
