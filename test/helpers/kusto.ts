// Kusto.Language (the parser and semantic checker behind Azure Monitor's query editor), loaded
// from @kusto/language-service-next. Bridge.NET emits browser-style globals, so the two bundles
// are evaluated into this context; the API is then used through a few typed wrappers.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { COLUMNS, TABLE_NAME, type TableColumnType } from '../../src/schema.js';

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return */
let kusto: any = null;

function load(): any {
  if (kusto) return kusto;
  const dir = path.dirname(createRequire(import.meta.url).resolve('@kusto/language-service-next/package.json'));
  const g = globalThis as any;
  g.window ??= g;
  for (const file of ['bridge.min.js', 'Kusto.Language.Bridge.min.js']) vm.runInThisContext(readFileSync(path.join(dir, file), 'utf8'), { filename: file });
  kusto = g.Kusto;
  return kusto;
}

const KUSTO_TYPE: Record<TableColumnType, string> = { string: 'String', int: 'Int', long: 'Long', boolean: 'Bool', dateTime: 'DateTime', dynamic: 'Dynamic' };

export interface Diagnostic {
  readonly code: string;
  readonly severity: string;
  readonly message: string;
  readonly start: number;
}

/** Parses and semantically checks a query against tables named after the schema's columns. */
export function checkKql(query: string, tables: Record<string, readonly { name: string; type: TableColumnType }[]> = { [TABLE_NAME]: COLUMNS }): Diagnostic[] {
  const K = load();
  const L = K.Language;
  const Sym = L.Symbols;
  const tableSymbols = Object.entries(tables).map(([name, cols]) => {
    const columns = cols.map((c) => new Sym.ColumnSymbol(c.name, Sym.ScalarTypes[KUSTO_TYPE[c.type]]));
    return new Sym.TableSymbol.$ctor4(name, columns);
  });
  const db = new Sym.DatabaseSymbol.$ctor1('pgaudit', tableSymbols, false);
  const globals = L.GlobalState.Default.WithDatabase(db);
  const code = L.KustoCode.ParseAndAnalyze(query, globals);
  const list = code.GetDiagnostics();
  const out: Diagnostic[] = [];
  for (let i = 0; i < list.Count; i++) {
    const d = list.getItem(i);
    out.push({ code: d.Code, severity: d.Severity, message: d.Message, start: d.Start });
  }
  return out;
}
/* eslint-enable */

export const errorsOf = (diagnostics: readonly Diagnostic[]): Diagnostic[] => diagnostics.filter((d) => d.severity === 'Error');
