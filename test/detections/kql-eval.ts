// A small KQL interpreter over Kusto.Language's syntax tree, enough to run the detection rules on
// the fixture rows: where, extend, project, summarize, join (inner), lookup (leftouter), union,
// let, and the scalar functions the rules use. Anything else throws, so a rule cannot pass a test
// through syntax the interpreter does not evaluate. Every output row carries the ids of the input
// rows it came from (through summarize and joins too), so a test can ask "did this attack row fire?".
// KQL semantics kept where they matter: strings are never null (absent is ""), comparisons with
// null are false, `has` matches whole terms case-insensitively, `matches regex` is RE2 (the
// patterns here use only what JavaScript reads the same way, with (?i) as the i flag).
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-explicit-any -- the Bridge.NET syntax tree is untyped */
import { COLUMNS, TABLE_NAME } from '../../src/schema.js';
import { parseSyntax, resultColumnNames, syntaxKindName, type ColumnSpec } from '../helpers/kusto.js';
import { callFunction, hasTerm, list, literal, regex, str, timespanMs, type Value } from './kql-scalars.js';

export type { Value } from './kql-scalars.js';

export interface TRow {
  readonly values: Record<string, Value>;
  readonly ids: ReadonlySet<number>;
}
export interface EvalContext {
  readonly tables: Record<string, TRow[]>;
  /** now() and the base of ago(), in ms since the epoch. */
  readonly now: number;
  /** Column types of the tables, for the analysis (default: PgAudit_CL of src/schema.ts). */
  readonly schemas?: Readonly<Record<string, readonly ColumnSpec[]>>;
}

type Env = Map<string, { scalar: Value } | { table: () => TRow[] }>;

export class KqlEval {
  private readonly kind = syntaxKindName;
  constructor(private readonly ctx: EvalContext) {}

  run(query: string): TRow[] {
    const root = parseSyntax(query, this.ctx.schemas ?? { [TABLE_NAME]: COLUMNS });
    const env: Env = new Map();
    let result: TRow[] | null = null;
    const stmts = root.Statements;
    for (let i = 0; i < stmts.Count; i++) {
      const s = stmts.getItem(i).Element;
      const k = this.kind(s);
      if (k === 'LetStatement') {
        const expr = s.Expression;
        const name = String(s.Name.SimpleName);
        if (this.isTabular(expr, env)) {
          let cache: TRow[] | null = null;
          const snapshot = new Map(env);
          env.set(name, { table: () => (cache ??= this.table(expr, snapshot)) });
        } else env.set(name, { scalar: this.scalar(expr, { values: {}, ids: new Set() }, env) });
      } else if (k === 'ExpressionStatement') result = this.table(s.Expression, env);
      else throw new Error(`statement ${k} not supported`);
    }
    if (!result) throw new Error('query has no tabular expression');
    return result;
  }

  private isTabular(n: any, env: Env): boolean {
    const k = this.kind(n);
    if (k === 'PipeExpression' || k === 'UnionOperator') return true;
    if (k === 'NameReference') {
      const name = String(n.SimpleName);
      return name in this.ctx.tables || (env.get(name) !== undefined && 'table' in env.get(name)!);
    }
    if (k === 'ParenthesizedExpression') return this.isTabular(n.Expression, env);
    return false;
  }

  private elements(l: any): any[] {
    const out: any[] = [];
    for (let i = 0; i < l.Count; i++) {
      const e = l.getItem(i);
      out.push(e.Element ?? e);
    }
    return out;
  }

  private table(n: any, env: Env): TRow[] {
    const k = this.kind(n);
    if (k === 'NameReference') {
      const name = String(n.SimpleName);
      const bound = env.get(name);
      if (bound && 'table' in bound) return bound.table();
      const t = this.ctx.tables[name];
      if (!t) throw new Error(`unknown table ${name}`);
      return t;
    }
    if (k === 'ParenthesizedExpression') return this.table(n.Expression, env);
    if (k === 'UnionOperator') return this.elements(n.Expressions).flatMap((e) => this.table(e, env));
    if (k !== 'PipeExpression') throw new Error(`tabular ${k} not supported`);
    const input = this.table(n.Expression, env);
    const op = n.Operator;
    const ok = this.kind(op);
    switch (ok) {
      case 'FilterOperator':
        return input.filter((r) => this.scalar(op.Condition, r, env) === true);
      case 'ExtendOperator':
        return input.map((r) => {
          const values = { ...r.values };
          for (const e of this.elements(op.Expressions)) {
            const [name, expr] = this.named(e);
            values[name] = this.scalar(expr, { values, ids: r.ids }, env);
          }
          return { values, ids: r.ids };
        });
      case 'ProjectOperator':
        return input.map((r) => ({ values: Object.fromEntries(this.elements(op.Expressions).map((e) => { const [name, expr] = this.named(e); return [name, this.scalar(expr, r, env)]; })), ids: r.ids }));
      case 'SummarizeOperator':
        return this.summarize(op, input, env);
      case 'JoinOperator':
      case 'LookupOperator': {
        const kindParam = this.elements(op.Parameters).find((p) => String(p.Name.SimpleName) === 'kind');
        const joinKind = kindParam ? String(kindParam.Expression.Token.Text) : ok === 'LookupOperator' ? 'leftouter' : 'innerunique';
        const clause = ok === 'JoinOperator' ? op.ConditionClause : op.LookupClause;
        if (this.kind(clause) !== 'JoinOnClause') throw new Error(`${ok} clause ${this.kind(clause)} not supported`);
        const keys = this.elements(clause.Expressions).map((e) => { if (this.kind(e) !== 'NameReference') throw new Error('join keys must be column names'); return String(e.SimpleName); });
        // KQL's schema is static: the right side's columns come from the analysed tree, so a join
        // with an empty right side still yields them (as nulls).
        return this.join(input, this.table(op.Expression, env), keys, joinKind, resultColumnNames(op.Expression));
      }
      default:
        throw new Error(`operator ${ok} not supported`);
    }
  }

  private named(e: any): [string, any] {
    const k = this.kind(e);
    if (k === 'SimpleNamedExpression') return [String(e.Name.SimpleName), e.Expression];
    if (k === 'NameReference') return [String(e.SimpleName), e];
    // bin(Column, size) keeps the column's name (Kusto's default name for it).
    if (k === 'FunctionCallExpression' && String(e.Name.SimpleName) === 'bin') return [this.named(this.elements(e.ArgumentList.Expressions)[0])[0], e];
    throw new Error(`column expression ${k} needs a name`);
  }

  private join(left: TRow[], right: TRow[], keys: string[], joinKind: string, declared: string[] | null): TRow[] {
    if (!['inner', 'leftouter'].includes(joinKind)) throw new Error(`join kind ${joinKind} not supported`);
    const keyOf = (r: TRow): string => JSON.stringify(keys.map((k) => r.values[k] ?? null));
    const byKey = new Map<string, TRow[]>();
    for (const r of right) byKey.set(keyOf(r), [...(byKey.get(keyOf(r)) ?? []), r]);
    const rightColumns = [...new Set([...(declared ?? []), ...right.flatMap((r) => Object.keys(r.values))])].filter((c) => !keys.includes(c));
    return left.flatMap((l) => {
      const matches = byKey.get(keyOf(l)) ?? [];
      if (matches.length === 0) return joinKind === 'leftouter' ? [{ values: { ...l.values, ...Object.fromEntries(rightColumns.filter((c) => !(c in l.values)).map((c) => [c, null])) }, ids: l.ids }] : [];
      return matches.map((m) => ({ values: { ...m.values, ...l.values, ...Object.fromEntries(rightColumns.filter((c) => !(c in l.values)).map((c) => [c, m.values[c]!])) }, ids: new Set([...l.ids, ...m.ids]) }));
    });
  }

  private summarize(op: any, input: TRow[], env: Env): TRow[] {
    const by = op.ByClause ? this.elements(op.ByClause.Expressions).map((e) => this.named(e)) : [];
    const groups = new Map<string, { key: Record<string, Value>; rows: TRow[] }>();
    for (const r of input) {
      const key = Object.fromEntries(by.map(([name, expr]) => [name, this.scalar(expr, r, env)]));
      const id = JSON.stringify(key);
      if (!groups.has(id)) groups.set(id, { key, rows: [] });
      groups.get(id)!.rows.push(r);
    }
    const all = this.elements(op.Aggregates);
    // arg_max(By, *) / arg_min(By, Col, …): the columns of the row with the largest (smallest) By.
    const isArg = (e: any): boolean => this.kind(e) === 'FunctionCallExpression' && ['arg_max', 'arg_min'].includes(String(e.Name.SimpleName));
    const argCalls = all.filter(isArg);
    const aggregates = all.filter((e) => !isArg(e)).map((e) => this.named(e));
    return [...groups.values()].map(({ key, rows }) => {
      const values: Record<string, Value> = { ...key };
      for (const call of argCalls) Object.assign(values, this.argRow(call, rows, env), key);
      for (const [name, call] of aggregates) values[name] = this.aggregate(call, rows, env);
      return { values, ids: new Set(rows.flatMap((r) => [...r.ids])) };
    });
  }

  /** The columns arg_max/arg_min return: the first row (in input order) with the extreme By value. */
  private argRow(call: any, rows: TRow[], env: Env): Record<string, Value> {
    const [by, ...cols] = this.elements(call.ArgumentList.Expressions);
    const max = String(call.Name.SimpleName) === 'arg_max';
    let best: TRow | null = null;
    let bestValue: Value = null;
    for (const r of rows) {
      const v = this.scalar(by, r, env);
      if (typeof v !== 'number') continue;
      if (best === null || (max ? v > (bestValue as number) : v < (bestValue as number))) [best, bestValue] = [r, v];
    }
    best ??= rows[0] ?? null; // every By null: Kusto still returns a row of the group
    const [byName] = this.named(by);
    if (cols.length === 1 && this.kind(cols[0]) === 'StarExpression') return best ? { ...best.values } : { [byName]: null };
    const out: Record<string, Value> = { [byName]: bestValue };
    for (const c of cols) {
      const [name, expr] = this.named(c);
      out[name] = best ? this.scalar(expr, best, env) : null;
    }
    return out;
  }

  private aggregate(call: any, rows: TRow[], env: Env): Value {
    if (this.kind(call) !== 'FunctionCallExpression') throw new Error(`aggregate ${this.kind(call)} not supported`);
    const fn = String(call.Name.SimpleName);
    const args = this.elements(call.ArgumentList.Expressions);
    const col = (): Value[] => rows.map((r) => this.scalar(args[0], r, env));
    const nums = (): number[] => col().filter((v): v is number => typeof v === 'number');
    switch (fn) {
      case 'count':
        return rows.length;
      case 'countif':
        return rows.filter((r) => this.scalar(args[0], r, env) === true).length;
      case 'dcount':
        return new Set(col().map((v) => JSON.stringify(v))).size;
      case 'make_set': {
        const limit = args[1] ? Number(this.scalar(args[1], rows[0]!, env)) : Infinity;
        return [...new Set(col().map((v) => JSON.stringify(v)))].slice(0, limit).map((s) => JSON.parse(s) as Value);
      }
      case 'min':
      case 'max': {
        const v = nums();
        return v.length === 0 ? null : fn === 'min' ? Math.min(...v) : Math.max(...v);
      }
      case 'sum':
        return nums().reduce((a, b) => a + b, 0);
      case 'percentile': {
        const v = nums().sort((a, b) => a - b);
        const p = Number(this.scalar(args[1], rows[0]!, env));
        return v.length === 0 ? null : v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))]!;
      }
      default:
        throw new Error(`aggregate ${fn} not supported`);
    }
  }

  scalar(n: any, r: TRow, env: Env): Value {
    const k = this.kind(n);
    const bin = (): [Value, Value] => [this.scalar(n.Left, r, env), this.scalar(n.Right, r, env)];
    const rightList = (): Value[] => this.elements(n.Right.Expressions).flatMap((e) => list(this.scalar(e, r, env)));
    switch (k) {
      case 'StringLiteralExpression':
      case 'LongLiteralExpression':
      case 'IntLiteralExpression':
      case 'RealLiteralExpression':
      case 'BooleanLiteralExpression':
        return literal(n.LiteralValue);
      case 'TimespanLiteralExpression':
        return timespanMs(String(n.Token.Text));
      case 'DynamicExpression':
        return this.json(n.Expression);
      case 'ParenthesizedExpression':
        return this.scalar(n.Expression, r, env);
      case 'NameReference': {
        const name = String(n.SimpleName);
        if (name in r.values) return r.values[name]!;
        const bound = env.get(name);
        if (bound && 'scalar' in bound) return bound.scalar;
        throw new Error(`unknown name ${name}`);
      }
      case 'AndExpression': {
        const [a, b] = bin();
        return a === true && b === true;
      }
      case 'OrExpression': {
        const [a, b] = bin();
        return a === true || b === true;
      }
      case 'EqualExpression':
      case 'NotEqualExpression': {
        const [a, b] = bin();
        if (a === null || b === null) return false;
        return (a === b) === (k === 'EqualExpression');
      }
      case 'EqualTildeExpression': {
        const [a, b] = bin();
        return str(a).toLowerCase() === str(b).toLowerCase();
      }
      case 'InExpression':
      case 'NotInExpression': {
        const a = this.scalar(n.Left, r, env);
        if (a === null) return false;
        return rightList().includes(a) === (k === 'InExpression');
      }
      case 'InCsExpression':
      case 'NotInCsExpression': {
        // Kusto.Language's kinds for `in~` and `!in~`: case-insensitive, despite the name.
        const a = this.scalar(n.Left, r, env);
        if (a === null) return false;
        return rightList().some((v) => str(v).toLowerCase() === str(a).toLowerCase()) === (k === 'InCsExpression');
      }
      case 'HasExpression':
        return hasTerm(str(this.scalar(n.Left, r, env)), str(this.scalar(n.Right, r, env)));
      case 'HasAnyExpression': {
        const text = str(this.scalar(n.Left, r, env));
        return rightList().some((t) => hasTerm(text, str(t)));
      }
      case 'StartsWithExpression':
      case 'EndsWithExpression':
      case 'ContainsExpression': {
        const [a, b] = bin().map((v) => str(v).toLowerCase()) as [string, string];
        return k === 'StartsWithExpression' ? a.startsWith(b) : k === 'EndsWithExpression' ? a.endsWith(b) : a.includes(b);
      }
      case 'MatchesRegexExpression':
        return regex(str(this.scalar(n.Right, r, env))).test(str(this.scalar(n.Left, r, env)));
      case 'GreaterThanExpression':
      case 'GreaterThanOrEqualExpression':
      case 'LessThanExpression':
      case 'LessThanOrEqualExpression': {
        const [a, b] = bin();
        if (typeof a !== 'number' || typeof b !== 'number') return false;
        return k === 'GreaterThanExpression' ? a > b : k === 'GreaterThanOrEqualExpression' ? a >= b : k === 'LessThanExpression' ? a < b : a <= b;
      }
      case 'AddExpression':
      case 'SubtractExpression': {
        const [a, b] = bin();
        return typeof a === 'number' && typeof b === 'number' ? (k === 'AddExpression' ? a + b : a - b) : null;
      }
      case 'MultiplyExpression': {
        const [a, b] = bin();
        return typeof a === 'number' && typeof b === 'number' ? a * b : null;
      }
      case 'FunctionCallExpression':
        return callFunction(String(n.Name.SimpleName), this.elements(n.ArgumentList.Expressions).map((e) => this.scalar(e, r, env)), this.ctx.now);
      default:
        throw new Error(`expression ${k} not supported`);
    }
  }

  private json(n: any): Value {
    const k = this.kind(n);
    if (k === 'JsonArrayExpression') return this.elements(n.Values).map((e) => this.json(e));
    if (k === 'StringLiteralExpression' || k === 'LongLiteralExpression') return literal(n.LiteralValue);
    throw new Error(`dynamic ${k} not supported`);
  }
}
/* eslint-enable */
