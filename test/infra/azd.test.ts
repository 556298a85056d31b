// The azd wiring around the templates: azure.yaml, infra/main.parameters.json (environment
// variable mappings), and the postdeploy hook that deploys infra/eventgrid.bicep with the
// function's Event Grid webhook. These are plain files that nothing else would check before `azd up`.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- evaluated ARM JSON is untyped; the assertions are the type check */
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { setting } from '../../src/config/settings-model.js';
import { requireOrSkip } from '../helpers/tools.js';
import { Deployment } from './arm.js';
import { armOf, bicepPath, deployMain, FAKE, INFRA, MISSING_BICEP, ROOT } from './bicep.js';

const read = (p: string): string => readFileSync(path.join(ROOT, p), 'utf8');
const HOOK = 'scripts/azd/postdeploy.sh';
const SMOKE_COMMAND = 'src/cli/smoke-command.ts';
type Template = { parameters: Record<string, { type?: string; $ref?: string; defaultValue?: unknown; metadata?: { description?: string } }> };

// Every parameter of main.bicep and the azd variable that sets it (`azd env set NAME value`);
// `reason` instead of `env` would mark one a user may not set, and why. docs/deploy.md lists them.
const MAPPING: { param: string; env?: string; reason?: string }[] = [
  { param: 'environmentName', env: 'AZURE_ENV_NAME' },
  { param: 'location', env: 'AZURE_LOCATION' },
  ...['identity', 'plan', 'functionApp', 'workspace', 'appInsights', 'dcr', 'actionGroup', 'queryPack'].map((n) => ({
    param: `${n}Name`,
    env: `PGAUDIT_${n.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}_NAME`,
  })),
  { param: 'stateStorageAccountName', env: 'PGAUDIT_STATE_STORAGE_ACCOUNT' },
  { param: 'logsStorageAccountName', env: 'PGAUDIT_LOGS_STORAGE_ACCOUNT' },
  { param: 'eventGridSystemTopicName', env: 'PGAUDIT_EVENTGRID_SYSTEM_TOPIC' },
  { param: 'existingWorkspaceId', env: 'PGAUDIT_EXISTING_WORKSPACE_ID' },
  { param: 'tablePlan', env: 'PGAUDIT_TABLE_PLAN' },
  { param: 'retentionInDays', env: 'PGAUDIT_RETENTION_DAYS' },
  { param: 'totalRetentionInDays', env: 'PGAUDIT_TOTAL_RETENTION_DAYS' },
  { param: 'existingLogsStorageAccountName', env: 'PGAUDIT_EXISTING_LOGS_STORAGE_ACCOUNT' },
  { param: 'maximumInstanceCount', env: 'PGAUDIT_MAXIMUM_INSTANCE_COUNT' },
  { param: 'dcrShards', env: 'PGAUDIT_DCR_SHARD_COUNT' },
  // App settings: the azd variable is the app setting's own name (test/infra/settings.test.ts).
  ...['logLinePrefix', 'serverLogLinePrefixes', 'statementCap', 'redactPatterns', 'filters', 'lookbackHours', 'flushMb', 'concurrency', 'uploadTimeoutSeconds', 'uploadAttempts', 'runBudgetMinutes', 'sweepSchedule', 'logsContainer'].map((param) => ({
    param,
    env: `PGAUDIT_${param.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`,
  })),
  { param: 'wireServer', env: 'PGAUDIT_WIRE_SERVER' },
  { param: 'flexibleServerName', env: 'PGAUDIT_FLEXIBLE_SERVER_NAME' },
  { param: 'wiredServerLogLinePrefix', env: 'PGAUDIT_WIRED_LOG_LINE_PREFIX' },
  { param: 'azureExtensions', env: 'PGAUDIT_WIRED_AZURE_EXTENSIONS' },
  { param: 'sharedPreloadLibraries', env: 'PGAUDIT_WIRED_SHARED_PRELOAD_LIBRARIES' },
  { param: 'pgauditLog', env: 'PGAUDIT_WIRED_PGAUDIT_LOG' },
  { param: 'pgauditLogParameter', env: 'PGAUDIT_WIRED_PGAUDIT_LOG_PARAMETER' },
  { param: 'pgauditLogRows', env: 'PGAUDIT_WIRED_PGAUDIT_LOG_ROWS' },
  { param: 'alertEmail', env: 'PGAUDIT_ALERT_EMAIL' },
  { param: 'changeWindowStartHour', env: 'PGAUDIT_CHANGE_WINDOW_START_HOUR' },
  { param: 'changeWindowEndHour', env: 'PGAUDIT_CHANGE_WINDOW_END_HOUR' },
  { param: 'ddlUsers', env: 'PGAUDIT_DDL_USERS' },
  { param: 'authFailureThreshold', env: 'PGAUDIT_AUTH_FAILURE_THRESHOLD' },
  { param: 'sensitiveTables', env: 'PGAUDIT_SENSITIVE_TABLES' },
  { param: 'health', env: 'PGAUDIT_HEALTH' },
  { param: 'tiering', env: 'PGAUDIT_TIERING' },
  { param: 'detections', env: 'PGAUDIT_DETECTIONS' },
  { param: 'deploySentinelParsers', env: 'PGAUDIT_DEPLOY_SENTINEL_PARSERS' },
  { param: 'sentinelAnalyticsRules', env: 'PGAUDIT_SENTINEL_ANALYTICS_RULES' },
  { param: 'deployWorkbook', env: 'PGAUDIT_DEPLOY_WORKBOOK' },
];

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
    expect(site.tags).toEqual({ 'azd-env-name': 'pgtest', 'azd-service-name': 'ingest' });
  });
});

describe('infra/main.parameters.json', () => {
  const file = JSON.parse(readFileSync(path.join(INFRA, 'main.parameters.json'), 'utf8')) as { parameters: Record<string, { value: unknown }> };

  it('maps every main.bicep parameter to the azd variable the table names, one variable each', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const main = armOf(path.join(INFRA, 'main.bicep')) as Template;
    expect(MAPPING.map((m) => m.param).sort()).toEqual(Object.keys(main.parameters).sort());
    for (const { param, env, reason } of MAPPING) {
      if (!env) {
        expect(reason, `${param} is neither mapped nor explained`).toBeTruthy();
        expect(file.parameters, param).not.toHaveProperty(param);
        continue;
      }
      // No `=default` in the file: an unset variable leaves the parameter out and the template's
      // default applies, so a default lives in one place only.
      expect(file.parameters[param], param).toEqual({ value: `\${${env}}` });
    }
    expect(Object.keys(file.parameters).sort()).toEqual(MAPPING.filter((m) => m.env).map((m) => m.param).sort());
  });

  it('every parameter of the templates azd or the hook deploys has a description', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    for (const file of ['main.bicep', 'eventgrid.bicep']) {
      const t = armOf(path.join(INFRA, file)) as Template;
      for (const [name, p] of Object.entries(t.parameters)) expect(p.metadata?.description, `${file}: ${name}`).toMatch(/\S{3}/);
    }
  });

  it('arrays and objects are typed (Bicep user-defined types), not bare array/object', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const t = armOf(path.join(INFRA, 'main.bicep')) as Template & { definitions: Record<string, unknown> };
    for (const [name, p] of Object.entries(t.parameters)) {
      if (p.$ref) expect(t.definitions[p.$ref.split('/').at(-1)!], name).toBeDefined();
      else if (p.type === 'array') expect(p, name).toHaveProperty('items');
      else expect(p.type, name).not.toBe('object');
    }
  });
});

describe('the postdeploy hook and infra/eventgrid.bicep', () => {
  const hook = read(HOOK);

  it('reads only outputs main.bicep declares', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const outputs = Object.keys(deployMain().outputs());
    const required = [...hook.matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]!);
    expect(required).toEqual(expect.arrayContaining(['PGAUDIT_LOGS_CONTAINER', 'EVENTGRID_SYSTEM_TOPIC_NAME']));
    for (const name of required) expect(outputs, name).toContain(name);
  });

  it('declares the outputs `pgaudit-ingest smoke --azd-env-file` reads, the workspace id as the GUID the Logs Query API takes', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const outputs = deployMain().outputs();
    // The command reads these names itself; the container through the setting's own variable.
    for (const name of ['LOGS_STORAGE_ACCOUNT_NAME', 'LOG_ANALYTICS_WORKSPACE_ID', 'LOG_ANALYTICS_WORKSPACE_CUSTOMER_ID']) {
      expect(read(SMOKE_COMMAND), name).toContain(name);
      expect(Object.keys(outputs), name).toContain(name);
    }
    expect(Object.keys(outputs)).toContain(setting('logsContainer').env);
    expect(outputs.LOG_ANALYTICS_WORKSPACE_CUSTOMER_ID!.value).toBe(FAKE.workspaceCustomerId);
    expect(String(outputs.LOG_ANALYTICS_WORKSPACE_ID!.value)).toMatch(/\/providers\/Microsoft\.OperationalInsights\/workspaces\/[^/]+$/);
  });

  it("calls the blobCreated function's Event Grid trigger webhook with the eventgrid_extension key", () => {
    // functions/blob-created.ts registers blobCreated (test/infra/package.test.ts checks the package).
    expect(hook).toMatch(/^function_name="blobCreated"$/m);
    expect(hook).toContain('url="https://${FUNCTION_HOST_NAME}/runtime/webhooks/eventgrid?functionName=${function_name}&code=${key}"');
    expect(hook).toContain('--query "systemKeys.eventgrid_extension"');
    expect(hook).not.toMatch(/blobs_extension|webhooks\/blobs/); // the blob trigger's endpoint is gone
    expect(hook).toMatch(/--template-file "[^"]*infra\/eventgrid\.bicep"/);
  });

  it('subscribes BlobCreated of the container the app reads only, with the key as a secure parameter', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const arm = armOf(path.join(INFRA, 'eventgrid.bicep')) as Template;
    expect(arm.parameters.webhookUrl!.type).toBe('securestring');
    // The hook passes exactly the template's parameters, the container and topic from main's outputs.
    const passed = [...hook.matchAll(/"(\w+)":\{"value":"%s"\}/g)].map((m) => m[1]!);
    expect(passed.sort()).toEqual(Object.keys(arm.parameters).sort());
    expect(hook).toMatch(/"\$LOGS_STORAGE_ACCOUNT_NAME" "\$location" "\$EVENTGRID_SYSTEM_TOPIC_NAME" "\$PGAUDIT_LOGS_CONTAINER" "\$url"/);
    const url = 'https://func-x.azurewebsites.net/runtime/webhooks/eventgrid?functionName=blobCreated&code=k';
    for (const logsContainer of ['insights-logs-postgresqllogs', 'copied-audit-logs']) {
      const d = new Deployment(arm, { logsAccountName: 'stlogs1', location: 'westeurope', systemTopicName: 'evgt-stlogs1', logsContainer, webhookUrl: url });
      const [topic, sub] = d.resources();
      expect(topic!.properties).toMatchObject({ topicType: 'Microsoft.Storage.StorageAccounts', source: expect.stringMatching(/\/storageAccounts\/stlogs1$/) });
      expect(String(topic!.name)).toBe('evgt-stlogs1');
      expect(sub!.properties.destination).toEqual({ endpointType: 'WebHook', properties: { endpointUrl: url } });
      expect(sub!.properties.filter).toEqual({
        includedEventTypes: ['Microsoft.Storage.BlobCreated'],
        subjectBeginsWith: `/blobServices/default/containers/${logsContainer}/blobs/`,
        subjectEndsWith: '.json',
      });
    }
    expect(JSON.stringify(arm)).not.toContain('"outputs"'); // nothing (least of all the URL) is echoed back
  });

  it("main.bicep's container and topic outputs are the ones the app setting and the names use", (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain({ logsContainer: 'copied-audit-logs', existingLogsStorageAccountName: 'mylogs' });
    const outputs = d.outputs();
    expect(outputs.PGAUDIT_LOGS_CONTAINER!.value).toBe('copied-audit-logs');
    expect(outputs.LOGS_STORAGE_ACCOUNT_NAME!.value).toBe('mylogs');
    expect(outputs.EVENTGRID_SYSTEM_TOPIC_NAME!.value).toBe('evgt-mylogs'); // the hook's old default name
    const site = d.resources().find((r) => r.type === 'Microsoft.Web/sites')!;
    const settings = site.properties.siteConfig.appSettings as { name: string; value: string }[];
    expect(settings.find((s) => s.name === 'PGAUDIT_LOGS_CONTAINER')?.value).toBe('copied-audit-logs');
    expect(deployMain({ eventGridSystemTopicName: 'existing-topic' }).outputs().EVENTGRID_SYSTEM_TOPIC_NAME!.value).toBe('existing-topic');
  });
});
