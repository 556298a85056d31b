// Kusto.Language (the parser and semantic checker behind Azure Monitor's query editor), loaded
// from @kusto/language-service-next. Bridge.NET emits browser-style globals, so the two bundles
// are evaluated into this context; the API is then used through a few typed wrappers.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { COLUMNS, TABLE_NAME } from '../../src/schema.js';

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

// Column types as the table API (dateTime, boolean) or a DCR stream (datetime) spells them.
const KUSTO_TYPE: Record<string, string> = {
  string: 'String',
  int: 'Int',
  long: 'Long',
  real: 'Real',
  boolean: 'Bool',
  bool: 'Bool',
  datetime: 'DateTime',
  dynamic: 'Dynamic',
  guid: 'Guid',
  timespan: 'TimeSpan',
};

export interface ColumnSpec {
  readonly name: string;
  readonly type: string;
}

/** The Kusto scalar type name (string, long, datetime, ...) of a table or stream column type. */
export function kustoTypeOf(type: string): string {
  const t = KUSTO_TYPE[type.toLowerCase()];
  if (!t) throw new Error(`no Kusto type for column type ${type}`);
  return t;
}

export interface Diagnostic {
  readonly code: string;
  readonly severity: string;
  readonly message: string;
  readonly start: number;
}

type Tables = Record<string, readonly ColumnSpec[]>;

function analyze(query: string, tables: Tables): any {
  const K = load();
  const L = K.Language;
  const Sym = L.Symbols;
  const tableSymbols = Object.entries(tables).map(([name, cols]) => {
    const columns = cols.map((c) => new Sym.ColumnSymbol(c.name, Sym.ScalarTypes[kustoTypeOf(c.type)]));
    return new Sym.TableSymbol.$ctor4(name, columns);
  });
  const db = new Sym.DatabaseSymbol.$ctor1('pgaudit', tableSymbols, false);
  const globals = L.GlobalState.Default.WithDatabase(db);
  return L.KustoCode.ParseAndAnalyze(query, globals);
}

/** The columns (name, Kusto type name) of a query's tabular result, or null for a scalar result. */
export function resultColumns(query: string, tables: Tables = { [TABLE_NAME]: COLUMNS }): { name: string; type: string }[] | null {
  const result = analyze(query, tables).ResultType;
  if (!result || result.Kind !== load().Language.Symbols.SymbolKind.Table) return null;
  const out: { name: string; type: string }[] = [];
  for (let i = 0; i < result.Columns.Count; i++) {
    const c = result.Columns.getItem(i);
    out.push({ name: c.Name, type: c.Type.Name });
  }
  return out;
}

/** Parses and semantically checks a query against the given tables (default: PgAudit_CL from the schema). */
export function checkKql(query: string, tables: Tables = { [TABLE_NAME]: COLUMNS }): Diagnostic[] {
  const list = analyze(query, tables).GetDiagnostics();
  const out: Diagnostic[] = [];
  for (let i = 0; i < list.Count; i++) {
    const d = list.getItem(i);
    out.push({ code: d.Code, severity: d.Severity, message: d.Message, start: d.Start });
  }
  return out;
}
/** What a query is made of: the tables it reads (resolved names) and the syntax kinds it uses
 * (JoinOperator, UnionOperator, FunctionDeclaration, ...), for checks of where it may run. */
export function syntaxFacts(query: string, tables: Tables): { tables: string[]; kinds: string[] } {
  const L = load().Language;
  const code = analyze(query, tables);
  const found = new Set<string>();
  const kinds = new Set<string>();
  const kindName = new Map(Object.entries(L.Syntax.SyntaxKind as Record<string, unknown>).filter(([, v]) => typeof v === 'number').map(([k, v]) => [v, k]));
  L.Syntax.SyntaxElement.WalkElements(code.Syntax, (e: any) => {
    if (e.ReferencedSymbol && e.ReferencedSymbol.Kind === L.Symbols.SymbolKind.Table) found.add(String(e.ReferencedSymbol.Name));
    kinds.add(String(kindName.get(e.Kind) ?? e.Kind));
  });
  return { tables: [...found].sort(), kinds: [...kinds].sort() };
}
let kindNames: Map<number, string> | null = null;
/** Kusto.Language's syntax tree of a query (untyped Bridge.NET objects), for checks that walk it. */
export function parseSyntax(query: string, tables?: Tables): any {
  return (tables ? analyze(query, tables) : load().Language.KustoCode.Parse(query)).Syntax;
}
/** The column names of a tabular node of an analysed tree (parseSyntax with tables), or null. */
export function resultColumnNames(node: any): string[] | null {
  const t = node.ResultType;
  if (!t || t.Kind !== load().Language.Symbols.SymbolKind.Table) return null;
  const out: string[] = [];
  for (let i = 0; i < t.Columns.Count; i++) out.push(String(t.Columns.getItem(i).Name));
  return out;
}
/** The SyntaxKind name of a node (StringLiteralExpression, FilterOperator, ...). */
export function syntaxKindName(node: any): string {
  kindNames ??= new Map(Object.entries(load().Language.Syntax.SyntaxKind as Record<string, unknown>).filter(([, v]) => typeof v === 'number').map(([k, v]) => [v as number, k]));
  return kindNames.get(node.Kind as number) ?? String(node.Kind);
}
/** Every node and token under a node, depth first. */
export function walkSyntax(node: any, visit: (n: any) => void): void {
  load().Language.Syntax.SyntaxElement.WalkElements(node, visit);
}
/* eslint-enable */

export const errorsOf = (diagnostics: readonly Diagnostic[]): Diagnostic[] => diagnostics.filter((d) => d.severity === 'Error');
