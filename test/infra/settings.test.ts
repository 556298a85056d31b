// One configuration model: the function app's settings are written from
// infra/generated/settings.json (generated from src/config/settings-model.ts), and the main.bicep
// parameters a user tunes carry the same defaults and limits as that file. A setting added to the
// model reaches the app with its default without touching Bicep; a tunable one needs a parameter
// and one line in main.bicep's settingValues.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- evaluated ARM JSON is untyped; the assertions are the type check */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderSettingsJson, SETTINGS_JSON_PATH } from '../../scripts/generate-schema-json.js';
import { requireOrSkip } from '../helpers/tools.js';
import { armOf, bicepPath, deployMain, INFRA, MISSING_BICEP, resourcesOfType } from './bicep.js';

interface ModelSetting {
  env: string;
  default: string | null;
  min: number | null;
  max: number | null;
}
const MODEL = (JSON.parse(readFileSync(SETTINGS_JSON_PATH, 'utf8')) as { settings: Record<string, ModelSetting> }).settings;
type Param = { type?: string; $ref?: string; defaultValue?: unknown; minValue?: number; maxValue?: number; metadata?: { description?: string } };

// The settings a user tunes through main.bicep, by settings-model key, with a value to tune them to.
const TUNABLE: { key: string; param: string; value: unknown; text: string }[] = [
  { key: 'logLinePrefix', param: 'logLinePrefix', value: '%m [%p] ', text: '%m [%p] ' },
  { key: 'serverLogLinePrefixes', param: 'serverLogLinePrefixes', value: { pgprod: '%m ' }, text: '{"pgprod":"%m "}' },
  { key: 'statementCap', param: 'statementCap', value: 1000, text: '1000' },
  { key: 'redactPatterns', param: 'redactPatterns', value: ['api_key=\\w+'], text: '["api_key=\\\\w+"]' },
  { key: 'filters', param: 'filters', value: ['UserName=azuresu', 'Class=/^READ$/'], text: '["UserName=azuresu","Class=/^READ$/"]' },
  { key: 'lookbackHours', param: 'lookbackHours', value: 72, text: '72' },
  { key: 'flushMb', param: 'flushMb', value: '0.5', text: '0.5' },
  { key: 'concurrency', param: 'concurrency', value: 2, text: '2' },
  { key: 'uploadTimeoutSeconds', param: 'uploadTimeoutSeconds', value: 120, text: '120' },
  { key: 'uploadAttempts', param: 'uploadAttempts', value: 3, text: '3' },
  { key: 'runBudgetMinutes', param: 'runBudgetMinutes', value: 0, text: '0' },
  { key: 'sweepSchedule', param: 'sweepSchedule', value: '0 */10 * * * *', text: '0 */10 * * * *' },
  { key: 'logsContainer', param: 'logsContainer', value: 'copied-audit-logs', text: 'copied-audit-logs' },
];
// Settings the deployment itself decides (the DCR and its shards, its two streams, the identity).
const DECIDED = ['ingestionEndpoint', 'dcrImmutableId', 'dcrShards', 'streamName', 'runStreamName', 'clientId'];
// The containers and the queue the storage module creates under the model's default names.
const CONTAINERS = ['stateContainer', 'deadLetterContainer'];
const QUEUES = ['queueName'];
// Settings written with the model's default and not tuned here: a new model setting goes here, or
// to TUNABLE with a main.bicep parameter and a line in its settingValues.
const DEFAULTED = [...CONTAINERS, ...QUEUES];

function appSettings(params: Record<string, unknown> = {}): Record<string, string> {
  const [site] = resourcesOfType(deployMain(params), 'Microsoft.Web/sites');
  const list = site!.properties.siteConfig.appSettings as { name: string; value: unknown }[];
  for (const s of list) expect(typeof s.value, `${s.name} = ${String(s.value)}`).toBe('string');
  expect(new Set(list.map((s) => s.name)).size, 'an app setting is written twice').toBe(list.length);
  return Object.fromEntries(list.map((s) => [s.name, s.value as string]));
}

it('the generated settings JSON is what the settings model generates today', () => {
  expect(readFileSync(SETTINGS_JSON_PATH, 'utf8')).toBe(renderSettingsJson());
});

it('every setting of the model is tunable, decided by the deployment, or a fixed default (no gaps)', () => {
  expect([...TUNABLE.map((t) => t.key), ...DECIDED, ...DEFAULTED].sort()).toEqual(Object.keys(MODEL).sort());
});

describe('the function app settings', () => {
  it('name every setting of the model by its env name, with the default where nothing is decided', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const env = appSettings();
    for (const [key, s] of Object.entries(MODEL)) {
      expect(env, `${key} → ${s.env}`).toHaveProperty(s.env);
      if (s.default !== null) expect(env[s.env], s.env).toBe(s.default);
    }
    // Besides the model: the runtime's host storage, the app's two storage connections, telemetry.
    const others = Object.keys(env).filter((n) => !Object.values(MODEL).some((s) => s.env === n));
    expect(others.filter((n) => n.startsWith('PGAUDIT_')).every((n) => /^PGAUDIT_(LOGS|STATE)_STORAGE__\w+$/.test(n))).toBe(true);
  });

  it.for([
    { key: 'streamName', json: 'pgaudit-columns.json' },
    { key: 'runStreamName', json: 'pgaudit-ingest-columns.json' },
  ])('$key is the DCR stream $json declares, equal to the model default', ({ key, json }, ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const columns = JSON.parse(readFileSync(path.join(INFRA, 'generated', json), 'utf8')) as { streamName: string };
    expect(appSettings()[MODEL[key]!.env]).toBe(columns.streamName);
    expect(columns.streamName).toBe(MODEL[key]!.default);
    const [dcr] = resourcesOfType(deployMain(), 'Microsoft.Insights/dataCollectionRules');
    expect(Object.keys(dcr!.properties.streamDeclarations as object)).toContain(columns.streamName);
  });

  it.for(TUNABLE)('$param reaches $key as text', ({ key, param, value, text }, ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    expect(appSettings({ [param]: value })[MODEL[key]!.env]).toBe(text);
  });

  it('the containers the storage module creates are the ones the settings name', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const env = appSettings();
    const containers = resourcesOfType(deployMain(), 'Microsoft.Storage/storageAccounts/blobServices/containers').map((c) => String(c.name).split('/').at(-1));
    for (const key of CONTAINERS) expect(containers).toContain(env[MODEL[key]!.env]);
  });

  it('the queue the shipServer trigger reads and its poison queue exist on the state account', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const env = appSettings();
    const queues = resourcesOfType(deployMain(), 'Microsoft.Storage/storageAccounts/queueServices/queues').map((q) => String(q.name));
    for (const key of QUEUES) {
      const name = env[MODEL[key]!.env]!;
      // The host moves a message to <queue>-poison after maxDequeueCount failed attempts.
      expect(queues.map((q) => q.replace(/^stpgaudit\w+\/default\//, '')).sort()).toEqual([name, `${name}-poison`]);
    }
  });
});

describe('main.bicep parameters of tunable settings', () => {
  it.for(TUNABLE)('$param: default and limits equal the settings JSON, description names $key', ({ key, param }, ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const p = (armOf(path.join(INFRA, 'main.bicep')) as { parameters: Record<string, Param> }).parameters[param]!;
    const s = MODEL[key]!;
    const defaultText = typeof p.defaultValue === 'string' ? p.defaultValue : JSON.stringify(p.defaultValue);
    expect(defaultText).toBe(s.default);
    expect(p.metadata?.description).toContain(s.env);
    const integral = (n: number | null): boolean => n === null || Number.isInteger(n);
    if (s.min !== null || s.max !== null) {
      if (integral(s.min) && integral(s.max)) {
        expect(p.type).toBe('int');
        expect([p.minValue ?? null, p.maxValue ?? null]).toEqual([s.min, s.max]);
      } else {
        // Bicep has no decimal type: a decimal setting is text, range-checked by the app at start-up.
        expect(p.type).toBe('string');
        expect(p.metadata?.description).toContain(`from ${s.min} to ${s.max}`);
      }
    } else expect([p.minValue, p.maxValue]).toEqual([undefined, undefined]);
  });

  it.for([
    { param: 'statementCap', key: 'statementCap', bound: 'max' },
    { param: 'lookbackHours', key: 'lookbackHours', bound: 'min' },
    { param: 'lookbackHours', key: 'lookbackHours', bound: 'max' },
    { param: 'concurrency', key: 'concurrency', bound: 'max' },
  ] as const)('$param one past its $bound is refused before anything deploys', ({ param, key, bound }, ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const limit = MODEL[key]![bound]!;
    expect(() => deployMain({ [param]: bound === 'max' ? limit + 1 : limit - 1 })).toThrow(new RegExp(`${bound}Value ${limit}`));
    expect(() => deployMain({ [param]: limit })).not.toThrow();
  });
});
