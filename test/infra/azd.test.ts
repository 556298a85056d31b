// The azd wiring around the templates: azure.yaml, infra/main.parameters.json (environment
// variable mappings), and the postdeploy hook that deploys infra/eventgrid.bicep with the
// function's webhook. These are plain files that nothing else would check before `azd up`.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- evaluated ARM JSON is untyped; the assertions are the type check */
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireOrSkip } from '../helpers/tools.js';
import { Deployment } from './arm.js';
import { armOf, bicepPath, deployMain, INFRA, MISSING_BICEP, ROOT } from './bicep.js';

const read = (p: string): string => readFileSync(path.join(ROOT, p), 'utf8');
const HOOK = 'scripts/azd/postdeploy.sh';

describe('azure.yaml', () => {
  const yaml = read('azure.yaml');
  it('deploys the repository as the function service and runs the postdeploy hook', () => {
    expect(yaml).toMatch(/^infra:\n(\s+.*\n)*?\s+path: infra\n/m);
    expect(yaml).toMatch(/^services:\n\s+ingest:\n\s+project: \.\n\s+language: js\n\s+host: function\n/m);
    expect(yaml).toMatch(/^hooks:\n\s+postdeploy:\n\s+posix:\n(\s+.*\n)*?\s+run: .*scripts\/azd\/postdeploy\.sh/m);
    accessSync(path.join(ROOT, HOOK), constants.X_OK);
  });

  it('the service name matches the azd-service-name tag of the function app', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const site = deployMain().resources().find((r) => r.type === 'Microsoft.Web/sites')!;
    expect(site.raw.tags).toEqual({ 'azd-service-name': 'ingest' });
  });
});

describe('infra/main.parameters.json', () => {
  const file = JSON.parse(readFileSync(path.join(INFRA, 'main.parameters.json'), 'utf8')) as { parameters: Record<string, { value: unknown }> };

  it('maps azd environment variables onto main.bicep parameters with the same defaults', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const main = armOf(path.join(INFRA, 'main.bicep')) as { parameters: Record<string, { type: string; defaultValue?: unknown }> };
    const d = deployMain();
    expect(file.parameters.environmentName).toEqual({ value: '${AZURE_ENV_NAME}' });
    expect(file.parameters.location).toEqual({ value: '${AZURE_LOCATION}' });
    for (const [name, { value }] of Object.entries(file.parameters)) {
      const def = main.parameters[name];
      expect(def, `${name} is not a parameter of main.bicep`).toBeDefined();
      const m = /^\$\{([A-Z0-9_]+)(?:=([^}]*))?\}$/.exec(String(value));
      expect(m, `${name}: one variable per parameter`).not.toBeNull();
      if (m![2] === undefined) continue; // unset → empty → azd keeps the template default
      // azd converts strings for bool/int parameters; a default must mean what the template means.
      const fallback = def!.type === 'bool' ? m![2] === 'true' : def!.type === 'int' ? Number(m![2]) : m![2];
      expect(fallback, name).toEqual(d.parameter(name));
    }
  });
});

describe('the postdeploy hook and infra/eventgrid.bicep', () => {
  const hook = read(HOOK);

  it('reads only outputs main.bicep declares', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const outputs = Object.keys(deployMain().outputs());
    const required = [...hook.matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]!);
    expect(required.length).toBeGreaterThan(0);
    for (const name of required) expect(outputs, name).toContain(name);
  });

  it('calls the blobCreated function webhook with the blobs_extension key', () => {
    const fn = /app\.storageBlob\('(\w+)'/.exec(read('functions/blob-created.ts'))![1];
    expect(hook).toContain(`/runtime/webhooks/blobs?functionName=Host.Functions.${fn}&code=\${key}`);
    expect(hook).toContain('systemKeys.blobs_extension');
    expect(hook).toMatch(/--template-file "[^"]*infra\/eventgrid\.bicep"/);
  });

  it('subscribes BlobCreated of the diagnostic container only, with the key as a secure parameter', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const arm = armOf(path.join(INFRA, 'eventgrid.bicep')) as { parameters: Record<string, { type: string }> };
    expect(arm.parameters.webhookUrl!.type).toBe('securestring');
    // The hook passes exactly the template's parameters.
    const passed = [...hook.matchAll(/"(\w+)":\{"value":"%s"\}/g)].map((m) => m[1]!);
    expect(passed.sort()).toEqual(Object.keys(arm.parameters).sort());
    const url = 'https://func-x.azurewebsites.net/runtime/webhooks/blobs?functionName=Host.Functions.blobCreated&code=k';
    const d = new Deployment(arm, { logsAccountName: 'stlogs1', location: 'westeurope', webhookUrl: url });
    const [topic, sub] = d.resources();
    expect(topic!.properties).toMatchObject({ topicType: 'Microsoft.Storage.StorageAccounts', source: expect.stringMatching(/\/storageAccounts\/stlogs1$/) });
    expect(String(topic!.name)).toBe('evgt-stlogs1');
    expect(sub!.properties.destination).toEqual({ endpointType: 'WebHook', properties: { endpointUrl: url } });
    expect(sub!.properties.filter).toMatchObject({
      includedEventTypes: ['Microsoft.Storage.BlobCreated'],
      subjectBeginsWith: '/blobServices/default/containers/insights-logs-postgresqllogs/',
    });
    expect(JSON.stringify(arm)).not.toContain('"outputs"'); // nothing (least of all the URL) is echoed back
  });
});
