// The deterministic ARM template functions test/infra/arm.ts evaluates, with ARM's semantics where
// the templates depend on them (case-insensitive property names, `[[` escapes, lazy branches are
// handled by the evaluator itself). A function the templates start using and this table lacks
// makes the evaluator throw, so nothing is silently mis-evaluated.
import { createHash } from 'node:crypto';

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- templates are untyped JSON */
export type Any = any;

/** What the template's fail() raised: the deployment would stop with this message. */
export class ArmFailure extends Error {}

const hash = (args: unknown[]): string => createHash('sha256').update(JSON.stringify(args)).digest('hex');

export const str = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'boolean' ? (v ? 'True' : 'False') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);

/** ARM property names are case-insensitive. */
export function findKey(obj: Any, name: string): string | undefined {
  if (obj === null || typeof obj !== 'object') return undefined;
  if (name in obj) return name;
  return Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
}

export function getProp(obj: Any, name: string): unknown {
  if (obj === null || typeof obj !== 'object') throw new Error(`property ${name} of ${str(obj)}`);
  const key = findKey(obj, name);
  if (key === undefined) throw new Error(`no property ${name} in ${JSON.stringify(obj).slice(0, 200)}`);
  return obj[key];
}

/** `/providers/<type>/<name>[/<type>/<name>...]` from resourceId-style arguments. */
export const typeAndNames = (args: unknown[]): string => {
  const t = args.findIndex((a) => typeof a === 'string' && /^[\w.]+\/[\w/]+$/.test(a) && a.includes('.'));
  const [type, ...names] = args.slice(t).map(str);
  const types = type!.split('/');
  // Microsoft.Web/sites/functions + [site, fn] → Microsoft.Web/sites/site/functions/fn
  const path = names.map((n, i) => `${i === 0 ? `${types[0]}/${types[1]}` : types[i + 1]}/${n}`).join('/');
  return `/providers/${path}`;
};

const isEmpty = (v: Any): boolean => v === null || v === '' || (Array.isArray(v) ? v.length === 0 : typeof v === 'object' && Object.keys(v).length === 0);

export const FUNCTIONS: Record<string, (...a: Any[]) => unknown> = {
  format: (f: string, ...a: unknown[]) => f.replace(/\{(\d+)(:[^}]*)?\}/g, (_, n: string) => str(a[Number(n)])),
  string: str,
  int: (v: Any) => Math.trunc(Number(v)),
  json: (s: string) => JSON.parse(s) as unknown,
  replace: (s: string, a: string, b: string) => s.split(a).join(b),
  tolower: (s: string) => s.toLowerCase(),
  toupper: (s: string) => s.toUpperCase(),
  empty: isEmpty,
  length: (v: Any) => (typeof v === 'object' && !Array.isArray(v) ? Object.keys(v).length : v.length),
  not: (v: boolean) => !v,
  equals: (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b),
  true: () => true,
  false: () => false,
  null: () => null,
  createarray: (...a: unknown[]) => a,
  createobject: (...a: unknown[]) => Object.fromEntries(Array.from({ length: a.length / 2 }, (_, i) => [str(a[2 * i]), a[2 * i + 1]])),
  union: (...a: Any[]) => (Array.isArray(a[0]) ? [...new Set(a.flat().map((x: unknown) => JSON.stringify(x)))].map((x) => JSON.parse(x) as unknown) : Object.assign({}, ...a)),
  concat: (...a: Any[]) => (Array.isArray(a[0]) ? a.flat() : a.map(str).join('')),
  flatten: (a: Any[]) => a.flat(),
  items: (o: Any) => Object.keys(o).sort().map((key) => ({ key, value: o[key] })),
  objectkeys: (o: Any) => Object.keys(o),
  contains: (c: Any, v: Any) => (typeof c === 'string' ? c.toLowerCase().includes(String(v).toLowerCase()) : Array.isArray(c) ? c.some((x) => JSON.stringify(x) === JSON.stringify(v)) : findKey(c, str(v)) !== undefined),
  tryget: (o: Any, k: Any) => (Array.isArray(o) ? (o[k] ?? null) : ((): unknown => {
    const key = findKey(o, str(k));
    return key === undefined ? null : o[key];
  })()),
  split: (s: string, d: string) => s.split(d),
  join: (a: Any[], d: string) => a.map(str).join(d),
  trim: (s: string) => s.trim(),
  startswith: (s: string, p: string) => s.toLowerCase().startsWith(p.toLowerCase()),
  substring: (s: string, start: number, length?: number) => s.substring(start, length === undefined ? undefined : start + length),
  add: (a: number, b: number) => a + b,
  sub: (a: number, b: number) => a - b,
  mul: (a: number, b: number) => a * b,
  div: (a: number, b: number) => Math.trunc(a / b),
  mod: (a: number, b: number) => a % b,
  less: (a: Any, b: Any) => a < b,
  lessorequals: (a: Any, b: Any) => a <= b,
  greater: (a: Any, b: Any) => a > b,
  greaterorequals: (a: Any, b: Any) => a >= b,
  first: (v: Any) => v[0],
  last: (v: Any) => v[v.length - 1],
  take: (v: Any, n: number) => v.slice(0, n),
  range: (start: number, count: number) => Array.from({ length: count }, (_, i) => start + i),
  guid: (...a: unknown[]) => hash(a).slice(0, 32).replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-'),
  uniquestring: (...a: unknown[]) => hash(a).slice(0, 13),
  extensionresourceid: (scope: string, ...a: unknown[]) => `${scope}${typeAndNames(a)}`,
  fail: (message: string) => {
    throw new ArmFailure(message);
  },
};
/* eslint-enable */
