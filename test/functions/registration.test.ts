// The functions register with the binding metadata the host needs. The host itself cannot run
// here, so each entry file is loaded in a child process with a stand-in for the host's
// `@azure/functions-core` that records what @azure/functions registers.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { SETTINGS } from '../../src/config/settings-model.js';

const root = path.resolve(import.meta.dirname, '../..');

interface Registered {
  metadata: { name: string; bindings: Record<string, Record<string, unknown>> };
  handlerType: string;
}

function register(entry: string): Registered[] {
  const out = execFileSync(process.execPath, ['--require', path.join(root, 'test/functions/fake-functions-core.cjs'), '--import', 'tsx', entry], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, PGAUDIT_INGESTION_ENDPOINT: '' },
  });
  const line = out.split('\n').find((l) => l.startsWith('@@REGISTERED@@'));
  if (!line) throw new Error(`no registration output from ${entry}:\n${out}`);
  return JSON.parse(line.slice('@@REGISTERED@@'.length)) as Registered[];
}

function trigger(r: Registered): Record<string, unknown> {
  const t = Object.values(r.metadata.bindings).find((b) => String(b.type).endsWith('Trigger'));
  if (!t) throw new Error(`no trigger binding in ${JSON.stringify(r.metadata)}`);
  return t;
}

describe('function registration metadata', () => {
  it('blobCreated: an Event Grid trigger, with no storage connection (the logs account is read-only to the app)', () => {
    const [fn, ...more] = register('functions/blob-created.ts');
    expect(more).toEqual([]);
    expect(fn?.metadata.name).toBe('blobCreated');
    expect(fn?.handlerType).toBe('function');
    const t = trigger(fn!);
    expect(t).toMatchObject({ type: 'eventGridTrigger', direction: 'in' });
    expect(t).not.toHaveProperty('connection');
    expect(Object.values(fn!.metadata.bindings)).toHaveLength(1);
  });

  it('sweep: a timer whose schedule comes from an app setting', () => {
    const [fn, ...more] = register('functions/sweep.ts');
    expect(more).toEqual([]);
    expect(fn?.metadata.name).toBe('sweep');
    expect(trigger(fn!)).toMatchObject({ type: 'timerTrigger', direction: 'in', schedule: '%PGAUDIT_SWEEP_SCHEDULE%', useMonitor: true });
  });

  it('shipServer: a queue trigger on the queue setting, through the identity-based state connection', () => {
    const [fn, ...more] = register('functions/ship-server.ts');
    expect(more).toEqual([]);
    expect(fn?.metadata.name).toBe('shipServer');
    expect(fn?.handlerType).toBe('function');
    // %PGAUDIT_QUEUE_NAME% is resolved by the host from the app setting (Bicep writes it); the
    // connection is the state account's, whose __queueServiceUri Bicep writes (deployment.test.ts).
    expect(trigger(fn!)).toMatchObject({ type: 'queueTrigger', direction: 'in', queueName: '%PGAUDIT_QUEUE_NAME%', connection: 'PGAUDIT_STATE_STORAGE' });
    expect(SETTINGS.find((s) => s.key === 'queueName')?.env).toBe('PGAUDIT_QUEUE_NAME');
    expect(Object.values(fn!.metadata.bindings)).toHaveLength(1);
  });

  it("the host's entry glob (package.json main) names exactly the compiled function files", () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string };
    expect(pkg.main).toBe('dist/functions/*.js');
    const tsconfig = JSON.parse(readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: { outDir: string; rootDir: string } };
    expect(tsconfig.compilerOptions).toMatchObject({ outDir: 'dist', rootDir: '.' });
  });

  it('the sample settings are accepted by the app and name every setting it reads that has a default', () => {
    const sample = JSON.parse(readFileSync(path.join(root, 'local.settings.sample.json'), 'utf8')) as { Values: Record<string, string> };
    expect(sample.Values.FUNCTIONS_WORKER_RUNTIME).toBe('node');
    expect(() => loadSettings(sample.Values)).not.toThrow();
    const named = SETTINGS.filter((s) => s.app && s.default !== undefined).map((s) => s.env);
    expect(Object.keys(sample.Values)).toEqual(expect.arrayContaining(named));
    for (const s of SETTINGS) if (s.default !== undefined && sample.Values[s.env] !== undefined) expect(sample.Values[s.env], s.env).toBe(s.default);
  });
});
