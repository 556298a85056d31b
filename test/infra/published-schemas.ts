// Validators built from the published JSON schemas vendored in infra/schemas (index.json names the
// source commit and hash of each). The Ajv class follows the schema's own $schema. strict: false,
// because the published schemas carry keywords that are not JSON Schema (workbook "tags", azd
// "comment", "examples" in draft-04) and Ajv's strict mode refuses unknown keywords. No schema uses
// the `format` keyword, so ajv-formats is not loaded.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type AnySchemaObject, type ErrorObject } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
// ajv-draft-04 is CommonJS: under NodeNext its default import is module.exports, whose .default is the class.
import ajvDraft04 from 'ajv-draft-04';
import { INFRA } from './bicep.js';

export const SCHEMAS = path.join(INFRA, 'schemas');

export interface VendoredSchema {
  validates: string;
  repo: string;
  path: string;
  commit: string;
  sha256: string;
  unresolvedRefs?: string[];
}
export const INDEX = JSON.parse(readFileSync(path.join(SCHEMAS, 'index.json'), 'utf8')) as { schemas: Record<string, VendoredSchema> };

export const sha256Of = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The $refs listed as unresolved in index.json lose their $ref (their subschema then checks
 * nothing); any other reference to another document is an error, so none is dropped silently. */
function withoutUnresolvedRefs(node: unknown, unresolved: readonly string[]): unknown {
  if (Array.isArray(node)) return node.map((n) => withoutUnresolvedRefs(n, unresolved));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string' && !v.startsWith('#')) {
      if (!unresolved.includes(v)) throw new Error(`unlisted external $ref ${v}: vendor it or list it in index.json`);
      continue;
    }
    out[k] = withoutUnresolvedRefs(v, unresolved);
  }
  return out;
}

function ajvFor(draft: string): Ajv | Ajv2019 | InstanceType<typeof ajvDraft04.default> {
  const options = { strict: false, allErrors: true };
  if (/draft-04\/schema/.test(draft)) return new ajvDraft04.default(options);
  if (/draft-07\/schema/.test(draft)) return new Ajv(options);
  if (/draft\/2019-09\/schema/.test(draft)) return new Ajv2019(options);
  throw new Error(`no Ajv class chosen for $schema ${draft}`);
}

export type Verdict = { valid: boolean; errors: string[] };
const describeError = (e: ErrorObject): string => `${e.instancePath || '/'} ${e.message ?? e.keyword}`;

/** A validator for the vendored schema `file` (a key of index.json). */
export function validatorFor(file: string): (doc: unknown) => Verdict {
  const entry = INDEX.schemas[file];
  if (!entry) throw new Error(`${file} is not in infra/schemas/index.json`);
  const raw = JSON.parse(readFileSync(path.join(SCHEMAS, file), 'utf8')) as AnySchemaObject;
  const schema = withoutUnresolvedRefs(raw, entry.unresolvedRefs ?? []) as AnySchemaObject;
  const validate = ajvFor(String(raw.$schema)).compile(schema);
  return (doc) => {
    const valid = validate(doc);
    if (typeof valid !== 'boolean') throw new Error(`${file}: async schemas are not expected`);
    return { valid, errors: (validate.errors ?? []).map(describeError) };
  };
}
