// A small evaluator for the part of the ARM template expression language that Bicep emits for
// infra/, so tests can read the values a deployment would compute (alert KQL after parameter
// substitution, the app settings, the server parameters) from the compiled JSON without Azure.
// Values only Azure knows (reference() of a real resource) come from a hook or become `Unknown`,
// which every function propagates, so a placeholder can never pass for a real value.
import { createHash } from 'node:crypto';

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- templates are untyped JSON */
type Any = any;

export class Unknown {
  constructor(readonly what: string) {}
  toString(): string {
    return `<unknown ${this.what}>`;
  }
}

export interface Hooks {
  /** reference() of a resource that is not a nested deployment, e.g. a managed identity. */
  reference?(resourceId: string): unknown;
}

export interface EvaluatedResource {
  readonly type: string;
  readonly name: unknown;
  readonly properties: Any;
  /** Path of nested deployment names from the root template, e.g. ['alerts']. */
  readonly path: readonly string[];
  readonly raw: Any;
}

type Node =
  | { k: 'lit'; v: unknown }
  | { k: 'call'; name: string; args: Node[] }
  | { k: 'prop'; obj: Node; name: string }
  | { k: 'index'; obj: Node; idx: Node };

export function parseExpression(src: string): Node {
  let i = 0;
  const ws = (): void => {
    while (/\s/.test(src[i] ?? '')) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`ARM expression: ${what} at ${i} in ${src}`);
  };
  const expr = (): Node => {
    ws();
    let node: Node;
    if (src[i] === "'") {
      let v = '';
      for (i++; ; ) {
        if (i >= src.length) fail('unterminated string');
        if (src[i] === "'" && src[i + 1] === "'") {
          v += "'"; // '' is an escaped quote
          i += 2;
        } else if (src[i] === "'") break;
        else v += src[i++];
      }
      i++;
      node = { k: 'lit', v };
    } else if (/[-\d]/.test(src[i] ?? '')) {
      const m = /^-?\d+/.exec(src.slice(i)) ?? fail('number');
      i += m[0].length;
      node = { k: 'lit', v: Number(m[0]) };
    } else {
      const m = /^[A-Za-z_][\w]*/.exec(src.slice(i)) ?? fail('function name');
      i += m[0].length;
      ws();
      if (src[i++] !== '(') fail('(');
      const args: Node[] = [];
      ws();
      if (src[i] === ')') i++;
      else
        for (;;) {
          args.push(expr());
          ws();
          const c = src[i++];
          if (c === ')') break;
          if (c !== ',') fail(', or )');
        }
      node = { k: 'call', name: m[0].toLowerCase(), args };
    }
    for (;;) {
      ws();
      if (src[i] === '.') {
        i++;
        const m = /^[\w$#]+/.exec(src.slice(i)) ?? fail('property');
        i += m[0].length;
        node = { k: 'prop', obj: node, name: m[0] };
      } else if (src[i] === '[') {
        i++;
        const idx = expr();
        ws();
        if (src[i++] !== ']') fail(']');
        node = { k: 'index', obj: node, idx };
      } else return node;
    }
  };
  const node = expr();
  ws();
  if (i !== src.length) fail('trailing text');
  return node;
}

const isUnknown = (v: unknown): v is Unknown => v instanceof Unknown;
const hash = (args: unknown[]): string => createHash('sha256').update(JSON.stringify(args)).digest('hex');
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'boolean' ? (v ? 'True' : 'False') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
const getProp = (obj: Any, name: string): unknown => {
  if (obj === null || typeof obj !== 'object') throw new Error(`property ${name} of ${str(obj)}`);
  if (name in obj) return obj[name];
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase()); // ARM is case-insensitive
  if (key === undefined) throw new Error(`no property ${name} in ${JSON.stringify(obj).slice(0, 200)}`);
  return obj[key];
};
const typeAndNames = (args: unknown[]): string => {
  const t = args.findIndex((a) => typeof a === 'string' && /^[\w.]+\/[\w/]+$/.test(a) && a.includes('.'));
  return `/providers/${args.slice(t).map(str).join('/')}`;
};

export const TEST_SCOPE = { subscriptionId: '00000000-0000-0000-0000-000000000001', resourceGroup: 'rg-pgaudit-test', location: 'westeurope' };

const FUNCTIONS: Record<string, (...a: Any[]) => unknown> = {
  format: (f: string, ...a: unknown[]) => f.replace(/\{(\d+)(:[^}]*)?\}/g, (_, n: string) => str(a[Number(n)])),
  string: str,
  replace: (s: string, a: string, b: string) => s.split(a).join(b),
  tolower: (s: string) => s.toLowerCase(),
  empty: (v: Any) => v === null || v === '' || (Array.isArray(v) ? v.length === 0 : typeof v === 'object' && Object.keys(v).length === 0),
  length: (v: Any) => (typeof v === 'object' && !Array.isArray(v) ? Object.keys(v).length : v.length),
  not: (v: boolean) => !v,
  equals: (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b),
  true: () => true,
  null: () => null,
  createarray: (...a: unknown[]) => a,
  createobject: (...a: unknown[]) => Object.fromEntries(Array.from({ length: a.length / 2 }, (_, i) => [str(a[2 * i]), a[2 * i + 1]])),
  union: (...a: Any[]) => (Array.isArray(a[0]) ? [...new Set(a.flat().map((x: unknown) => JSON.stringify(x)))].map((x) => JSON.parse(x) as unknown) : Object.assign({}, ...a)),
  split: (s: string, d: string) => s.split(d),
  take: (v: Any, n: number) => v.slice(0, n),
  guid: (...a: unknown[]) => hash(a).slice(0, 32).replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-'),
  uniquestring: (...a: unknown[]) => hash(a).slice(0, 13),
  extensionresourceid: (scope: string, ...a: unknown[]) => `${scope}${typeAndNames(a)}`,
};

export class Deployment {
  private readonly variableCache = new Map<string, unknown>();
  private readonly children = new Map<string, Deployment>();
  private resourceList: EvaluatedResource[] | null = null;

  constructor(
    readonly template: Any,
    private readonly params: Record<string, unknown>,
    private readonly hooks: Hooks = {},
    readonly path: readonly string[] = [],
    /** Where this (nested) deployment runs: a module may target another subscription/group. */
    readonly scope: { subscriptionId: string; resourceGroup: string } = TEST_SCOPE,
  ) {
    for (const p of Object.keys(params)) if (!(p in (template.parameters ?? {}))) throw new Error(`unknown parameter ${p} at ${path.join('/') || 'root'}`);
  }

  parameter(name: string): unknown {
    if (name in this.params) return this.params[name];
    const def = this.template.parameters?.[name];
    if (!def || !('defaultValue' in def)) throw new Error(`parameter ${name} has no value at ${this.path.join('/') || 'root'}`);
    return this.evaluate(def.defaultValue);
  }

  variable(name: string): unknown {
    if (!this.variableCache.has(name)) this.variableCache.set(name, this.evaluate(getProp(this.template.variables, name)));
    return this.variableCache.get(name);
  }

  /** Evaluates a template value: strings `[...]` are expressions, objects and arrays deeply. */
  evaluate(value: unknown, copy: Record<string, number> = {}): unknown {
    if (typeof value === 'string') {
      if (value.startsWith('[[')) return value.slice(1);
      if (value.startsWith('[') && value.endsWith(']')) return this.run(parseExpression(value.slice(1, -1)), copy);
      return value;
    }
    if (Array.isArray(value)) return value.map((v) => this.evaluate(v, copy));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        if (k === 'copy' && Array.isArray(v)) {
          for (const loop of v) {
            const count = Number(this.evaluate(loop.count, copy));
            out[loop.name] = Array.from({ length: count }, (_, j) => this.evaluate(loop.input, { ...copy, [loop.name]: j }));
          }
        } else out[str(this.evaluate(k, copy))] = this.evaluate(v, copy); // keys may be expressions too
      }
      return out;
    }
    return value;
  }

  private run(node: Node, copy: Record<string, number>): unknown {
    switch (node.k) {
      case 'lit':
        return node.v;
      case 'prop': {
        const obj = this.run(node.obj, copy);
        return isUnknown(obj) ? new Unknown(`${obj.what}.${node.name}`) : getProp(obj, node.name);
      }
      case 'index': {
        const obj = this.run(node.obj, copy) as Any;
        const idx = this.run(node.idx, copy) as Any;
        if (isUnknown(obj) || isUnknown(idx)) return new Unknown(`${str(obj)}[${str(idx)}]`);
        return typeof idx === 'number' ? obj[idx] : getProp(obj, str(idx));
      }
      case 'call':
        break;
    }
    const { name, args } = node;
    if (name === 'if') {
      const c = this.run(args[0]!, copy);
      return isUnknown(c) ? c : this.run(args[c ? 1 : 2]!, copy); // ARM evaluates only the chosen branch
    }
    const values = args.map((a) => this.run(a, copy));
    if (name === 'parameters') return this.parameter(str(values[0]));
    if (name === 'variables') return this.variable(str(values[0]));
    if (name === 'copyindex') {
      const loop = typeof values[0] === 'string' ? values[0] : '';
      const offset = typeof values[0] === 'number' ? values[0] : Number(values[1] ?? 0);
      if (!(loop in copy)) throw new Error(`copyIndex(${loop}) outside its loop`);
      return copy[loop]! + offset;
    }
    const unknown = values.find(isUnknown);
    if (unknown) return new Unknown(`${name}(${unknown.what})`);
    if (name === 'reference') return this.reference(str(values[0]));
    const rg = `/subscriptions/${this.scope.subscriptionId}/resourceGroups/${this.scope.resourceGroup}`;
    if (name === 'resourcegroup') return { id: rg, name: this.scope.resourceGroup, location: TEST_SCOPE.location };
    if (name === 'subscription') return { id: `/subscriptions/${this.scope.subscriptionId}`, subscriptionId: this.scope.subscriptionId };
    if (name === 'resourceid') return `${rg}${typeAndNames(values)}`;
    if (name === 'subscriptionresourceid') return `/subscriptions/${this.scope.subscriptionId}${typeAndNames(values)}`;
    const fn = FUNCTIONS[name];
    if (!fn) throw new Error(`ARM function ${name}() is not supported by test/infra/arm.ts`);
    return fn(...values);
  }

  private reference(id: string): unknown {
    const m = /\/providers\/Microsoft\.Resources\/deployments\/([^/]+)$/.exec(id);
    if (m) {
      const raw = this.rawResources().find((r) => r.type === 'Microsoft.Resources/deployments' && !r.copy && this.evaluate(r.name) === m[1]);
      if (!raw) throw new Error(`reference to deployment ${m[1]}, which this template does not declare`);
      return { outputs: this.child(raw, m[1]!, {}).outputs() };
    }
    // languageVersion 2.0 templates refer to their resources by symbolic name.
    const symbolic = Array.isArray(this.template.resources) ? undefined : this.template.resources?.[id];
    const rg = `/subscriptions/${this.scope.subscriptionId}/resourceGroups/${this.scope.resourceGroup}`;
    const full = symbolic ? `${rg}/providers/${symbolic.type}/${str(this.evaluate(symbolic.name))}` : id;
    return this.hooks.reference?.(full) ?? new Unknown(`reference(${full})`);
  }

  private rawResources(): Any[] {
    return Array.isArray(this.template.resources) ? this.template.resources : Object.values(this.template.resources ?? {});
  }

  private child(raw: Any, name: string, copy: Record<string, number>): Deployment {
    const key = `${name}#${JSON.stringify(copy)}`;
    let child = this.children.get(key);
    if (!child) {
      const params = Object.fromEntries(Object.entries(raw.properties.parameters ?? {}).map(([k, p]) => [k, this.evaluate((p as Any).value, copy)]));
      const scope = {
        subscriptionId: raw.subscriptionId ? str(this.evaluate(raw.subscriptionId, copy)) : this.scope.subscriptionId,
        resourceGroup: raw.resourceGroup ? str(this.evaluate(raw.resourceGroup, copy)) : this.scope.resourceGroup,
      };
      child = new Deployment(raw.properties.template, params, this.hooks, [...this.path, name], scope);
      this.children.set(key, child);
    }
    return child;
  }

  /** Nested deployment outputs, evaluated in that deployment's scope. */
  outputs(): Record<string, { value: unknown }> {
    return Object.fromEntries(Object.entries(this.template.outputs ?? {}).map(([k, o]) => [k, { value: this.evaluate((o as Any).value) }]));
  }

  /** Every deployed resource (conditions applied, copy loops expanded), nested deployments included. */
  resources(): EvaluatedResource[] {
    if (this.resourceList) return this.resourceList;
    const list: EvaluatedResource[] = [];
    this.resourceList = list;
    for (const raw of this.rawResources()) {
      if (raw.existing) continue; // `existing` symbols are emitted only for dependsOn; nothing is deployed
      const count = raw.copy ? Number(this.evaluate(raw.copy.count)) : 1;
      for (let i = 0; i < count; i++) {
        const copy: Record<string, number> = raw.copy ? { '': i, [raw.copy.name]: i } : {};
        if ('condition' in raw && !this.evaluate(raw.condition, copy)) continue;
        const name = this.evaluate(raw.name, copy);
        if (raw.type === 'Microsoft.Resources/deployments') {
          const child = this.child(raw, str(name), copy);
          list.push({ type: raw.type, name, properties: { get outputs() { return child.outputs(); } }, path: this.path, raw });
          list.push(...child.resources());
        } else {
          list.push({ type: raw.type, name, properties: this.evaluate(raw.properties ?? {}, copy), path: this.path, raw });
        }
      }
    }
    return this.resourceList;
  }
}
/* eslint-enable */
