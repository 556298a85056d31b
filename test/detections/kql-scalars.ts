// The scalar side of the KQL interpreter (kql-eval.ts): literals, KQL's string semantics, and the
// scalar functions the detection rules call, each as KQL defines it for the values the rules pass.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-explicit-any -- Bridge.NET literal values are untyped */
export type Value = string | number | boolean | null | Value[];

const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

export function timespanMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(d|h|ms|m|s)$/.exec(text.trim());
  if (!m) throw new Error(`timespan ${text} not supported`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

export function regex(pattern: string): RegExp {
  const ci = pattern.startsWith('(?i)');
  return new RegExp(ci ? pattern.slice(4) : pattern, ci ? 'i' : '');
}

/** Kusto terms: runs of letters and digits (has matches a whole term, or a run of them). */
export const hasTerm = (text: string, term: string): boolean => new RegExp(`(^|[^\\p{L}\\p{N}])${term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}\\p{N}])`, 'iu').test(text);

/** A literal's value: Bridge.NET gives longs as Int64 objects. */
export const literal = (v: any): Value => (v !== null && typeof v === 'object' && typeof v.toNumber === 'function' ? (v.toNumber() as number) : (v as Value));
export const str = (v: Value): string => (v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));
export const list = (v: Value): Value[] => (Array.isArray(v) ? v : [v]);

export function callFunction(fn: string, a: readonly Value[], now: number): Value {
  const at = (i: number): Value => a[i] ?? null;
  switch (fn) {
    case 'not':
      return at(0) !== true;
    case 'tolower':
      return str(at(0)).toLowerCase();
    case 'toupper':
      return str(at(0)).toUpperCase();
    case 'isnull':
      return at(0) === null;
    case 'isnotnull':
      return at(0) !== null;
    case 'isempty':
      return at(0) === null || at(0) === '';
    case 'isnotempty':
      return !(at(0) === null || at(0) === '');
    case 'coalesce':
      return a.find((v) => v !== null && v !== '') ?? (typeof at(0) === 'string' ? '' : null);
    case 'iif':
    case 'iff':
      return at(0) === true ? at(1) : at(2);
    case 'bin': {
      const [v, size] = [at(0), at(1)];
      return typeof v === 'number' && typeof size === 'number' ? Math.floor(v / size) * size : null;
    }
    case 'hourofday':
      return typeof at(0) === 'number' ? new Date(at(0) as number).getUTCHours() : null;
    case 'ago':
      return now - Number(at(0));
    case 'now':
      return now;
    case 'extract': {
      const m = regex(str(at(0))).exec(str(at(2)));
      return m?.[Number(at(1))] ?? '';
    }
    case 'extract_all': {
      const re = regex(str(at(0)));
      return [...str(at(1)).matchAll(new RegExp(re.source, re.flags + 'g'))].map((m) => m[1] ?? m[0]);
    }
    case 'trim': {
      const re = str(at(0));
      return str(at(1)).replace(new RegExp(`^(${re})+|(${re})+$`, 'g'), '');
    }
    case 'array_length': {
      const v = at(0);
      return Array.isArray(v) ? v.length : null;
    }
    case 'set_intersect': {
      const [x, y] = [list(at(0)), list(at(1))];
      return [...new Set(x.filter((v) => y.includes(v)))];
    }
    default:
      throw new Error(`function ${fn} not supported`);
  }
}
/* eslint-enable */
