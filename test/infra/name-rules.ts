// Azure's naming rules as data (infra/schemas/name-rules.json: each rule with the published text it
// encodes and its source) and the checker the name tests use.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Deployment } from './arm.js';
import { INFRA } from './bicep.js';

export interface NameRule {
  source: string;
  section: string;
  doc: string;
  pattern: string;
  length?: [number, number];
  maxUnique?: number;
  reserved?: string[];
}
export const NAME_RULES = JSON.parse(readFileSync(path.join(INFRA, 'schemas/name-rules.json'), 'utf8')) as {
  sources: Record<string, { url?: string; repo?: string; path?: string; commit?: string }>;
  azdEnvironmentName: NameRule;
  rules: Record<string, NameRule>;
  columns: NameRule;
  streams: { declarationPattern: string; outputPrefix: string };
  unverified: Record<string, string>;
};

/** What is wrong with `name` under `rule` (empty: nothing). Reserved names compare case-insensitively,
 * the safer reading: the source says column names are case sensitive only on some table plans. */
export function violations(rule: NameRule, name: string): string[] {
  const out: string[] = [];
  if (rule.length && (name.length < rule.length[0] || name.length > rule.length[1])) out.push(`length ${name.length} outside ${rule.length[0]}-${rule.length[1]}`);
  if (!new RegExp(rule.pattern, 'u').test(name)) out.push(`does not match ${rule.pattern} (${rule.doc})`);
  if (rule.reserved?.some((r) => r.toLowerCase() === name.toLowerCase())) out.push('is a reserved name');
  return out;
}

/** Each deployed resource's type and own name (the last segment of a child's name). */
export function namedResources(d: Deployment): { type: string; name: string; full: string }[] {
  return d.resources().map((r) => ({ type: r.type, name: String(r.name).split('/').at(-1)!, full: String(r.name) }));
}
