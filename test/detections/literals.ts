// The string literals a query compares with the columns whose values pgAudit and PostgreSQL
// define (Command, Class, ObjectType, EventType, SqlState), found by walking Kusto.Language's
// syntax tree, and whether each occurs in that column of the real fixture rows. A rule filtering on
// a value pgAudit never writes (say "COPY TO PROGRAM" as a Command) would never fire.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-explicit-any -- the Bridge.NET syntax tree is untyped */
import { parseSyntax, syntaxKindName, walkSyntax } from '../helpers/kusto.js';
import type { FixtureRow } from './fixture-rows.js';

export const LITERAL_COLUMNS = ['Command', 'Class', 'ObjectType', 'EventType', 'SqlState'] as const;

const OPERATORS: Record<string, string> = {
  EqualExpression: '==',
  NotEqualExpression: '!=',
  EqualTildeExpression: '=~',
  InExpression: 'in',
  NotInExpression: '!in',
  InCsExpression: 'in',
  InCiExpression: 'in~',
  HasExpression: 'has',
  HasCsExpression: 'has',
  StartsWithExpression: 'startswith',
  StartsWithCsExpression: 'startswith',
};

export interface Literal {
  readonly column: string;
  readonly op: string;
  readonly value: string;
}

function strings(n: any): string[] {
  const k = syntaxKindName(n);
  if (k === 'StringLiteralExpression') return [String(n.LiteralValue)];
  if (k === 'ExpressionList') {
    const out: string[] = [];
    for (let i = 0; i < n.Expressions.Count; i++) out.push(...strings(n.Expressions.getItem(i).Element));
    return out;
  }
  return [];
}

/** Every (column, operator, literal) of the query, for the columns above. */
export function columnLiterals(query: string, columns: readonly string[] = LITERAL_COLUMNS): Literal[] {
  const out: Literal[] = [];
  walkSyntax(parseSyntax(query), (n: any) => {
    const op = OPERATORS[syntaxKindName(n)];
    if (!op || syntaxKindName(n.Left) !== 'NameReference') return;
    const column = String(n.Left.SimpleName);
    if (!columns.includes(column)) return;
    for (const value of strings(n.Right)) out.push({ column, op, value });
  });
  return out;
}

const term = (text: string, t: string): boolean => new RegExp(`(^|[^\\p{L}\\p{N}])${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}\\p{N}])`, 'iu').test(text);

/** Whether some row's column holds the literal in the sense of the operator. */
export function occurs(l: Literal, rows: readonly FixtureRow[]): boolean {
  return rows.some((r) => {
    const v = String(r[l.column] ?? '');
    if (l.op === '=~' || l.op === 'in~') return v.toLowerCase() === l.value.toLowerCase();
    if (l.op === 'has') return term(v, l.value);
    if (l.op === 'startswith') return v.toLowerCase().startsWith(l.value.toLowerCase());
    return v === l.value;
  });
}
const COMPARISONS: Record<string, string> = { GreaterThanOrEqualExpression: '>=', GreaterThanExpression: '>', LessThanExpression: '<', LessThanOrEqualExpression: '<=', BetweenExpression: 'between', EqualExpression: '==' };

function operand(n: any): string {
  const k = syntaxKindName(n);
  if (k === 'NameReference') return String(n.SimpleName);
  if (k === 'FunctionCallExpression') {
    const args: string[] = [];
    for (let i = 0; i < n.ArgumentList.Expressions.Count; i++) args.push(operand(n.ArgumentList.Expressions.getItem(i).Element));
    return `${String(n.Name.SimpleName)}(${args.join(', ')})`;
  }
  return `<${k}>`;
}

/** Every comparison of TimeGenerated in the query, as "op right-hand side" (">= ago(Baseline)"). */
export function timeFilters(query: string): string[] {
  const out: string[] = [];
  walkSyntax(parseSyntax(query), (n: any) => {
    const op = COMPARISONS[syntaxKindName(n)];
    if (op && syntaxKindName(n.Left) === 'NameReference' && String(n.Left.SimpleName) === 'TimeGenerated') out.push(`${op} ${operand(n.Right)}`);
  });
  return out;
}
/* eslint-enable */
