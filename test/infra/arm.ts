// A small evaluator for the part of the ARM template expression language that Bicep emits for
// infra/, so tests can read the values a deployment would compute (alert KQL after parameter
// substitution, the app settings, the server parameters) from the compiled JSON without Azure.
// Values only Azure knows (reference() of a real resource) come from a hook or become `Unknown`,
// which every function propagates, so a placeholder can never pass for a real value.
import { parseExpression, type Node } from './arm-expression.js';
import { FUNCTIONS, getProp, str, typeAndNames, type Any } from './arm-functions.js';

export { ArmFailure } from './arm-functions.js';
export { parseExpression } from './arm-expression.js';

/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- templates are untyped JSON */

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
  /** The evaluated `scope` of an extension resource (e.g. a role assignment), else undefined. */
  readonly scope?: unknown;
  readonly tags?: unknown;
  /** Path of nested deployment names from the root template, e.g. ['alerts']. */
  readonly path: readonly string[];
  readonly raw: Any;
}

/** The checks ARM makes on a given parameter value before it deploys anything, following
 * user-defined types (`$ref` into the template's definitions: required and nullable properties,
 * sealed objects, literal unions as allowedValues, property limits). */
function checkParameter(name: string, def: Any, value: unknown, definitions: Any = {}): void {
  if (value instanceof Unknown) return;
  const fail = (why: string): never => {
    throw new Error(`parameter ${name}: ${JSON.stringify(value)} ${why}`);
  };
  if (def.$ref) {
    const target = definitions[String(def.$ref).split('/').at(-1)!];
    if (!target) throw new Error(`parameter ${name}: no definition ${def.$ref}`);
    return checkParameter(name, { ...target, ...def, $ref: undefined }, value, definitions);
  }
  if (value === null && def.nullable) return;
  if (def.type === 'object' && def.properties) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('is not an object');
    const obj = value as Record<string, unknown>;
    for (const [p, pdef] of Object.entries(def.properties as Record<string, Any>)) {
      if (p in obj) checkParameter(`${name}.${p}`, pdef, obj[p], definitions);
      else if (!pdef.nullable) fail(`lacks the required property ${p}`);
    }
    const extra = Object.keys(obj).filter((k) => !(k in def.properties));
    if (def.additionalProperties === false && extra.length > 0) fail(`has properties the type does not declare: ${extra.join(', ')}`);
  }
  const types: Record<string, (v: unknown) => boolean> = { int: (v) => Number.isInteger(v), bool: (v) => typeof v === 'boolean', string: (v) => typeof v === 'string', object: (v) => typeof v === 'object' && !Array.isArray(v), array: Array.isArray };
  if (def.type && types[def.type] && !types[def.type]!(value)) fail(`is not of type ${def.type}`);
  // On an array, allowedValues restricts each element (ARM's rule; Bicep emits it for ('a' | 'b')[]).
  const allowed = (v: unknown): boolean => def.allowedValues.some((a: unknown) => JSON.stringify(a) === JSON.stringify(v));
  if (def.allowedValues && !(Array.isArray(value) && def.type === 'array' ? value.every(allowed) : allowed(value))) fail(`is not one of ${JSON.stringify(def.allowedValues)}`);
  if (typeof value === 'number') {
    if (def.minValue !== undefined && value < def.minValue) fail(`is below minValue ${def.minValue}`);
    if (def.maxValue !== undefined && value > def.maxValue) fail(`is above maxValue ${def.maxValue}`);
  }
  const length = typeof value === 'string' || Array.isArray(value) ? value.length : undefined;
  if (length !== undefined && def.minLength !== undefined && length < def.minLength) fail(`is shorter than minLength ${def.minLength}`);
  if (length !== undefined && def.maxLength !== undefined && length > def.maxLength) fail(`is longer than maxLength ${def.maxLength}`);
}

const isUnknown = (v: unknown): v is Unknown => v instanceof Unknown;
export const TEST_SCOPE = { subscriptionId: '00000000-0000-0000-0000-000000000001', resourceGroup: 'rg-pgaudit-test', location: 'westeurope' };

export class Deployment {
  private readonly variableCache = new Map<string, unknown>();
  private readonly children = new Map<string, Deployment>();
  private resourceList: EvaluatedResource[] | null = null;
  /** Bindings of the lambdas being evaluated (map/filter), innermost last. */
  private readonly lambdaScope: Record<string, unknown>[] = [];

  constructor(
    readonly template: Any,
    private readonly params: Record<string, unknown>,
    private readonly hooks: Hooks = {},
    readonly path: readonly string[] = [],
    /** Where this (nested) deployment runs: a module may target another subscription/group. */
    readonly scope: { subscriptionId: string; resourceGroup: string } = TEST_SCOPE,
  ) {
    for (const [p, value] of Object.entries(params)) {
      const def = template.parameters?.[p];
      if (!def) throw new Error(`unknown parameter ${p} at ${path.join('/') || 'root'}`);
      checkParameter(p, def, value, template.definitions);
    }
  }

  parameter(name: string): unknown {
    if (name in this.params) return this.params[name];
    const def = this.template.parameters?.[name];
    if (!def || !('defaultValue' in def)) throw new Error(`parameter ${name} has no value at ${this.path.join('/') || 'root'}`);
    return this.evaluate(def.defaultValue);
  }

  variable(name: string): unknown {
    if (!this.variableCache.has(name)) {
      // `var x = [for ...]` compiles to a copy loop under variables.copy.
      const loop = (this.template.variables?.copy as Any[] | undefined)?.find((l) => l.name === name);
      const value = loop
        ? Array.from({ length: Number(this.evaluate(loop.count)) }, (_, j) => this.evaluate(loop.input, { [name]: j }))
        : this.evaluate(getProp(this.template.variables, name));
      this.variableCache.set(name, value);
    }
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
    const lazy = this.lazy(name, args, copy);
    if (lazy.done) return lazy.value;
    const values = args.map((a) => this.run(a, copy));
    if (name === 'parameters') return this.parameter(str(values[0]));
    if (name === 'lambdavariables') {
      const scope = this.lambdaScope.findLast((b) => str(values[0]) in b);
      if (!scope) throw new Error(`lambdaVariables(${str(values[0])}) outside its lambda`);
      return scope[str(values[0])];
    }
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
    if (name.includes('.')) return this.userFunction(name, values);
    const fn = FUNCTIONS[name];
    if (!fn) throw new Error(`ARM function ${name}() is not supported by test/infra/arm.ts`);
    return fn(...values);
  }

  /** Functions ARM evaluates lazily: only the chosen branch of if(), coalesce() up to the first
   * non-null argument, and()/or() up to the deciding argument (fail() in a skipped one never runs);
   * map()/filter() apply their lambda to each element. */
  private lazy(name: string, args: Node[], copy: Record<string, number>): { done: boolean; value?: unknown } {
    if (name === 'if') {
      const c = this.run(args[0]!, copy);
      return { done: true, value: isUnknown(c) ? c : this.run(args[c ? 1 : 2]!, copy) };
    }
    if (name === 'map' || name === 'filter') {
      // map(array, lambda('x', body)): the body is evaluated once per element with x bound to it.
      const items = this.run(args[0]!, copy);
      const fn = args[1]!;
      if (isUnknown(items)) return { done: true, value: items };
      if (fn.k !== 'call' || fn.name !== 'lambda' || fn.args.length !== 2) throw new Error(`${name}() expects a one-parameter lambda`);
      const variable = str(this.run(fn.args[0]!, copy));
      const apply = (item: unknown): unknown => {
        this.lambdaScope.push({ [variable]: item });
        try {
          return this.run(fn.args[1]!, copy);
        } finally {
          this.lambdaScope.pop();
        }
      };
      const list = items as unknown[];
      return { done: true, value: name === 'map' ? list.map(apply) : list.filter((item) => apply(item) === true) };
    }
    if (name !== 'coalesce' && name !== 'and' && name !== 'or') return { done: false };
    for (const arg of args) {
      const v = this.run(arg, copy);
      if (isUnknown(v)) return { done: true, value: v };
      if (name === 'coalesce' && v !== null && v !== undefined) return { done: true, value: v };
      if ((name === 'and' && v === false) || (name === 'or' && v === true)) return { done: true, value: v };
    }
    return { done: true, value: name === 'coalesce' ? null : name === 'and' };
  }

  /** A Bicep `func` (namespace __bicep): its output evaluated with the arguments as parameters. */
  private userFunction(qualified: string, args: unknown[]): unknown {
    const [namespace, member] = qualified.split('.');
    const ns = (this.template.functions as Any[] | undefined)?.find((f) => f.namespace.toLowerCase() === namespace);
    const key = Object.keys(ns?.members ?? {}).find((k) => k.toLowerCase() === member);
    if (!key) throw new Error(`user-defined function ${qualified}() is not declared`);
    const def = ns.members[key];
    const params = Object.fromEntries((def.parameters as { name: string }[]).map((p, i) => [p.name, args[i]]));
    const parameters = Object.fromEntries(Object.keys(params).map((p) => [p, {}]));
    return new Deployment({ parameters, functions: this.template.functions }, params, this.hooks, this.path, this.scope).evaluate(def.output.value);
  }

  private reference(id: string): unknown {
    const m = /\/providers\/Microsoft\.Resources\/deployments\/([^/]+)$/.exec(id);
    if (m) {
      const raw = this.rawResources().find((r) => r.type === 'Microsoft.Resources/deployments' && !r.copy && this.evaluate(r.name) === m[1]);
      if (!raw) throw new Error(`reference to deployment ${m[1]}, which this template does not declare`);
      return { outputs: this.child(raw, m[1]!, {}).outputs() };
    }
    // languageVersion 2.0 templates refer to their resources (modules too) by symbolic name.
    const symbolic = Array.isArray(this.template.resources) ? undefined : this.template.resources?.[id];
    if (symbolic?.type === 'Microsoft.Resources/deployments') return { outputs: this.child(symbolic, str(this.evaluate(symbolic.name)), {}).outputs() };
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
    // An output `[for ...]` compiles to a copy loop (count, input) instead of a value.
    const value = (o: Any): unknown => (o.copy ? Array.from({ length: Number(this.evaluate(o.copy.count)) }, (_, j) => this.evaluate(o.copy.input, { '': j })) : this.evaluate(o.value));
    return Object.fromEntries(Object.entries(this.template.outputs ?? {}).map(([k, o]) => [k, { value: value(o as Any) }]));
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
          const [scope, tags] = [raw.scope, raw.tags].map((v) => (v === undefined ? undefined : this.evaluate(v, copy)));
          list.push({ type: raw.type, name, properties: this.evaluate(raw.properties ?? {}, copy), scope, tags, path: this.path, raw });
        }
      }
    }
    return this.resourceList;
  }
}
/* eslint-enable */
