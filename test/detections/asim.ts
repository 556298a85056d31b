// The ASIM parsers as data (infra/asim/parsers.json) and the schema field lists they must produce
// (infra/asim/*-fields.json, taken from Microsoft's ASimTester.csv; the commit is named in each file).
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ASIM = path.resolve(import.meta.dirname, '../../infra/asim');
const json = <T>(file: string): T => JSON.parse(readFileSync(path.join(ASIM, file), 'utf8')) as T;

export interface AsimParser {
  readonly file: string;
  readonly schema: 'Authentication' | 'AuditEvent';
  readonly parameters: string;
  readonly uses?: string;
}
export const ASIM_PARSERS: Record<string, AsimParser> = json<{ parsers: Record<string, AsimParser> }>('parsers.json').parsers;

export interface AsimField {
  readonly name: string;
  readonly type: string;
  readonly values?: readonly string[];
}
export interface AsimFields {
  readonly schema: string;
  readonly schemaVersion: string;
  readonly source: string;
  readonly mandatory: readonly AsimField[];
  readonly recommended: readonly AsimField[];
  readonly project: readonly AsimField[];
}
export const ASIM_FIELDS: Record<string, AsimFields> = {
  Authentication: json<AsimFields>('authentication-fields.json'),
  AuditEvent: json<AsimFields>('audit-event-fields.json'),
};
