// The documents Azure's tools read (host.json, azure.yaml, local.settings.sample.json, the workbook
// template) against the schemas their publishers ship, vendored verbatim in infra/schemas. Each
// check is shown to reject a wrong document, so a schema that accepts everything cannot pass.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-explicit-any -- the negative cases edit untyped documents by path */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ROOT } from './bicep.js';
import { INDEX, SCHEMAS, sha256Of, validatorFor } from './published-schemas.js';

const json = (p: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(ROOT, p), 'utf8')) as Record<string, unknown>;
const clone = <T>(v: T): T => structuredClone(v);
type Doc = Record<string, any>;

describe('vendored schemas', () => {
  it.for(Object.entries(INDEX.schemas))('%s is the published file (hash recorded in index.json)', ([file, entry]) => {
    expect(sha256Of(path.join(SCHEMAS, file))).toBe(entry.sha256);
    expect(entry.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('every vendored schema validates its document', () => {
    for (const [file, entry] of Object.entries(INDEX.schemas)) {
      const doc = entry.validates.endsWith('.yaml') ? (YAML.parse(readFileSync(path.join(ROOT, entry.validates), 'utf8')) as unknown) : json(entry.validates);
      expect(validatorFor(file)(doc), `${entry.validates} against ${file}`).toEqual({ valid: true, errors: [] });
    }
  });
});

describe('host.json (SchemaStore host.json)', () => {
  const check = validatorFor('host.schema.json');
  const host = json('host.json') as Doc;
  const wrong = (edit: (d: Doc) => void): string[] => {
    const d = clone(host);
    edit(d);
    const v = check(d);
    expect(v.valid).toBe(false);
    return v.errors;
  };

  it('rejects a functionTimeout that is not hh:mm:ss', () => {
    expect(wrong((d) => (d.functionTimeout = 42)).join('\n')).toMatch(/\/functionTimeout/);
    expect(wrong((d) => (d.functionTimeout = '10 minutes')).join('\n')).toMatch(/\/functionTimeout/);
  });
  it('rejects an unknown schema version and an unknown top-level key', () => {
    expect(wrong((d) => (d.version = '3.0')).join('\n')).toMatch(/\/version/);
    wrong((d) => (d.functionTimout = '00:10:00'));
  });
  it('rejects queue settings the queue extension does not take', () => {
    expect(wrong((d) => (d.extensions.queues.batchSize = 64)).join('\n')).toMatch(/\/extensions\/queues\/batchSize/);
    expect(wrong((d) => (d.extensions.queues.messageEncoding = 'utf8')).join('\n')).toMatch(/messageEncoding/);
    wrong((d) => (d.extensions.queues.maxDequeCount = 3));
  });
});

describe('azure.yaml (azd schemas/v1.0/azure.yaml.json)', () => {
  const check = validatorFor('azure.yaml.schema.json');
  const azd = YAML.parse(readFileSync(path.join(ROOT, 'azure.yaml'), 'utf8')) as Doc;
  const hosts = (JSON.parse(readFileSync(path.join(SCHEMAS, 'azd.json'), 'utf8')) as { builtInServiceHosts: { values: string[] } }).builtInServiceHosts.values;
  const wrong = (edit: (d: Doc) => void): string[] => {
    const d = clone(azd);
    edit(d);
    const v = check(d);
    expect(v.valid).toBe(false);
    return v.errors;
  };

  it('rejects a misspelt host (the schema lists hosts only as examples; remoteBuild is allowed on host function only)', () => {
    expect(wrong((d) => (d.services.ingest.host = 'functions-typo')).join('\n')).toMatch(/remoteBuild/);
  });
  it('uses a host azd has built in (cli/azd/pkg/project/service_target.go), which is what the schema cannot say', () => {
    for (const s of Object.values(azd.services as Doc)) expect(hosts).toContain(s.host);
    expect(hosts).not.toContain('functions-typo');
  });
  it('rejects hook mistakes: an unknown shell, a misspelt hook, a bad project name', () => {
    expect(wrong((d) => (d.services.ingest.hooks.prepackage.posix.shell = 'bash')).join('\n')).toMatch(/shell/);
    expect(wrong((d) => ((d.hooks.postdeploi = d.hooks.postdeploy), delete d.hooks.postdeploy)).join('\n')).toMatch(/^\/hooks /m);
    expect(wrong((d) => (d.name = 'PgAudit_Ingest')).join('\n')).toMatch(/^\/name /m);
  });
});

describe('local.settings.sample.json (SchemaStore local.settings.json)', () => {
  const check = validatorFor('local.settings.schema.json');
  const sample = json('local.settings.sample.json') as Doc;
  it('rejects an unknown worker runtime and a non-boolean IsEncrypted', () => {
    const runtime = clone(sample);
    runtime.Values.FUNCTIONS_WORKER_RUNTIME = 'nodejs';
    expect(check(runtime).valid).toBe(false);
    const encrypted = clone(sample);
    encrypted.IsEncrypted = 'false';
    expect(check(encrypted).errors.join('\n')).toMatch(/\/IsEncrypted/);
  });
});

describe('workbook template (Application-Insights-Workbooks schema/workbook.json)', () => {
  const check = validatorFor('workbook.schema.json');
  const workbook = json('infra/workbooks/pgaudit.workbook.json') as Doc;
  it('rejects an unknown item type, a query size that is not an integer and a missing items list', () => {
    const unknownType = clone(workbook);
    unknownType.items[0].type = 99;
    expect(check(unknownType).valid).toBe(false);
    const size = clone(workbook);
    const group = (size.items as Doc[]).find((i) => i.type === 12)!;
    (group.content.items as Doc[]).find((i) => i.type === 3)!.content.size = 'large';
    expect(check(size).errors.join('\n')).toMatch(/\/content\/size/);
    const noItems = clone(workbook);
    delete noItems.items;
    expect(check(noItems).valid).toBe(false);
  });
});
