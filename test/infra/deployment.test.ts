// The contract between the templates and the code, read from a simulated deployment of main.bicep:
// the function app's settings are accepted by the app's own settings loader and name what its
// triggers use; the wired server gets a log_line_prefix the parser handles, one parameter at a
// time, and wiring without a server is refused. Roles and keyless storage: roles.test.ts.
// Azure-only values (endpoints, ids) are plausible fakes (test/infra/bicep.ts).
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- evaluated ARM JSON is untyped; the assertions are the type check */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { compileLogLinePrefix } from '../../src/parse/log-line-prefix.js';
import { RUN_STREAM_NAME } from '../../src/run-record-schema.js';
import { STREAM_NAME } from '../../src/schema.js';
import { requireOrSkip } from '../helpers/tools.js';
import { ArmFailure, type Deployment } from './arm.js';
import { bicepPath, deployMain, FAKE, MISSING_BICEP, resourcesOfType, ROOT } from './bicep.js';

const WIRED = { wireServer: true, flexibleServerName: 'PgProd-01', serverLogLinePrefixes: { other: '%m [%p] ' }, filters: ['UserName=azuresu'], lookbackHours: 24 };

function appSettings(params: Record<string, unknown>): Record<string, string> {
  const [site] = resourcesOfType(deployMain(params), 'Microsoft.Web/sites');
  const list = site!.properties.siteConfig.appSettings as { name: string; value: unknown }[];
  for (const s of list) expect(typeof s.value, `${s.name} = ${String(s.value)}`).toBe('string');
  return Object.fromEntries(list.map((s) => [s.name, s.value as string]));
}

describe('function app settings', () => {
  // A few fields of loadSettings only (its result is the TypeScript side's to shape): the DCR,
  // the stream, the two identity-based storage connections and the prefixes.
  it('are accepted by loadSettings and wire the DCR, identity-based storage and prefixes', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const env = appSettings(WIRED);
    const s = loadSettings(env);
    expect(s.ingestionEndpoint).toBe(FAKE.ingestionEndpoint);
    expect(s.dcrImmutableId).toBe(FAKE.immutableId);
    expect(s.streamName).toBe(STREAM_NAME);
    expect(s.runStreamName).toBe(RUN_STREAM_NAME);
    expect([s.filters, s.lookbackHours]).toEqual([['UserName=azuresu'], 24]);
    expect(s.clientId).toBe(FAKE.clientId);
    expect(s.logsStorage).toMatchObject({ kind: 'identity', blobServiceUri: env.PGAUDIT_LOGS_STORAGE__blobServiceUri, clientId: FAKE.clientId, managedIdentity: true });
    expect(s.stateStorage).toMatchObject({ kind: 'identity', blobServiceUri: env.PGAUDIT_STATE_STORAGE__blobServiceUri, clientId: FAKE.clientId, managedIdentity: true });
    expect(s.logLinePrefix).toBe('%t-%c-');
    expect(s.serverLogLinePrefixes).toEqual({ other: '%m [%p] ', 'pgprod-01': '%m [%p] %c %l %q%u@%d %a %r ' });
  });

  it('include identity-based AzureWebJobsStorage (blob only), Entra-only telemetry and no keys or runtime overrides', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const env = appSettings({});
    // Host storage and the logs account need blobs only (docs/deploy.md); the state connection also
    // serves the shipServer queue trigger and the app's enqueuing, on the same (its own) account.
    const services: Record<string, string[]> = { AzureWebJobsStorage: ['blob'], PGAUDIT_LOGS_STORAGE: ['blob'], PGAUDIT_STATE_STORAGE: ['blob', 'queue'] };
    for (const [prefix, used] of Object.entries(services)) {
      const uris = used.map((u) => `${prefix}__${u}ServiceUri`);
      expect(Object.keys(env).filter((n) => n.startsWith(`${prefix}__`)).sort(), prefix).toEqual([...uris, `${prefix}__clientId`, `${prefix}__credential`].sort());
      for (const [i, u] of used.entries()) expect(env[uris[i]!]).toMatch(new RegExp(`^https://st\\w+\\.${u}\\.core\\.windows\\.net/$`));
    }
    expect(env.PGAUDIT_LOGS_STORAGE__blobServiceUri).toMatch(/^https:\/\/stlogs/);
    expect(env.AzureWebJobsStorage__blobServiceUri).toBe(env.PGAUDIT_STATE_STORAGE__blobServiceUri);
    expect(env.PGAUDIT_STATE_STORAGE__queueServiceUri).toBe(env.PGAUDIT_STATE_STORAGE__blobServiceUri!.replace('.blob.', '.queue.'));
    expect(env).toMatchObject({ AzureWebJobsStorage__credential: 'managedidentity', AzureWebJobsStorage__clientId: FAKE.clientId, AZURE_CLIENT_ID: FAKE.clientId });
    expect(env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toBe(`ClientId=${FAKE.clientId};Authorization=AAD`);
    expect(env.PGAUDIT_SWEEP_SCHEDULE).toBe('0 */5 * * * *');
    expect(env.PGAUDIT_SERVER_LOG_LINE_PREFIXES).toBe('{}');
    // Flex Consumption rejects these (the runtime comes from functionAppConfig).
    for (const name of ['FUNCTIONS_WORKER_RUNTIME', 'FUNCTIONS_EXTENSION_VERSION', 'WEBSITE_RUN_FROM_PACKAGE', 'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING', 'AzureWebJobsStorage']) expect(env).not.toHaveProperty(name);
    for (const [name, value] of Object.entries(env)) expect(value, name).not.toMatch(/AccountKey=|SharedAccessSignature=|[?&]sig=|[?&]code=/i);
  });

  // The service URIs an identity-based connection needs, by the app.<kind>() that names it: a queue
  // trigger reads <CONN>__queueServiceUri; a blob trigger would also need the queue service (blob
  // receipts, poison queue). An Event Grid trigger or a timer names no connection.
  const SERVICES_OF: Record<string, string[]> = { storageQueue: ['queueServiceUri'], storageBlob: ['blobServiceUri', 'queueServiceUri'] };
  const functionFiles = readdirSync(path.join(ROOT, 'functions')).filter((f) => f.endsWith('.ts')).sort();
  const registrations = functionFiles.flatMap((file) =>
    [...readFileSync(path.join(ROOT, 'functions', file), 'utf8').matchAll(/app\.(\w+)\('(\w+)',\s*\{([\s\S]*?)\n\}\);/g)].map(([, kind, name, body]) => ({ file, kind: kind!, name: name!, body: body! })),
  );
  const connectionOf = (body: string): string | undefined => /connection:\s*'(\w+)'/.exec(body)?.[1];

  it('the function files are the registrations these checks read', () => {
    expect(registrations.map((r) => `${r.name}:${r.kind}`).sort()).toEqual(['blobCreated:eventGrid', 'shipServer:storageQueue', 'sweep:timer']);
    expect(registrations.map((r) => r.file).sort()).toEqual(functionFiles);
  });

  it.for(registrations.map((r) => ({ ...r, label: `${r.name} (${r.kind})` })))('$label: every connection it names is identity-based with the service URIs its trigger needs, and every %SETTING% is an app setting', (r, ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const env = appSettings({});
    const connection = connectionOf(r.body);
    if (SERVICES_OF[r.kind]) {
      expect(connection, `${r.name} names no connection`).toBeDefined();
      for (const part of [...SERVICES_OF[r.kind]!, 'credential', 'clientId']) expect(env, `${connection}__${part}`).toHaveProperty(`${connection}__${part}`);
      expect(env[`${connection}__credential`]).toBe('managedidentity');
    } else expect(connection, `${r.name}: a ${r.kind} trigger takes no storage connection`).toBeUndefined();
    const settings = [...r.body.matchAll(/'%(\w+)%'/g)].map((m) => m[1]!);
    for (const setting of settings) expect(env, `%${setting}%`).toHaveProperty(setting);
    if (r.kind === 'timer') expect(settings.map((x) => env[x])).toEqual([expect.stringMatching(/^(\S+ ){5}\S+$/)]); // six-field NCRONTAB
    if (r.kind === 'storageQueue') expect(settings.map((x) => env[x])).toEqual(['pgaudit-servers']); // the queue storage.bicep creates
  });

  it('blobCreated is the Event Grid trigger the webhook names, not a blob trigger: nothing needs a role on the logs account', () => {
    expect(registrations.find((r) => r.name === 'blobCreated')?.kind).toBe('eventGrid');
    expect(registrations.map((r) => r.kind)).not.toContain('storageBlob');
    // The one storage connection a function names is the state account's; the logs stay read-only.
    expect([...new Set(registrations.map((r) => connectionOf(r.body)).filter(Boolean))]).toEqual(['PGAUDIT_STATE_STORAGE']);
  });

  it('run on Flex Consumption, Node 22, with deployment storage through the user-assigned identity', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain();
    const [plan] = resourcesOfType(d, 'Microsoft.Web/serverfarms');
    expect(plan!.raw.sku).toMatchObject({ name: 'FC1', tier: 'FlexConsumption' });
    const [site] = resourcesOfType(d, 'Microsoft.Web/sites');
    const config = site!.properties.functionAppConfig;
    expect(config.runtime).toEqual({ name: 'node', version: '22' });
    expect(config.deployment.storage).toMatchObject({ type: 'blobContainer', authentication: { type: 'UserAssignedIdentity' } });
    expect(config.deployment.storage.value).toMatch(/^https:\/\/stpgaudit\w+\.blob\.core\.windows\.net\/deployment-package$/);
    expect(config.scaleAndConcurrency.maximumInstanceCount).toBe(40);
    expect(site!.properties.httpsOnly).toBe(true);
  });
});

// The server's diagnostic setting (the DCR has its own, for DCRLogErrors: columns.test.ts).
const serverDiagnostics = (d: Deployment) => resourcesOfType(d, 'Microsoft.Insights/diagnosticSettings').filter((s) => !String(s.scope).includes('/dataCollectionRules/'));

describe('optional server wiring', () => {
  it('is absent unless asked for', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain();
    expect(resourcesOfType(d, 'Microsoft.DBforPostgreSQL/flexibleServers/configurations')).toEqual([]);
    expect(serverDiagnostics(d)).toEqual([]);
  });

  it.for([
    { name: 'wiring without a server name', params: { wireServer: true, flexibleServerName: '' }, error: /wireServer is true but flexibleServerName is empty/ },
    { name: 'wiring while reading another container', params: { ...WIRED, logsContainer: 'copied-audit-logs' }, error: /would never see its blobs/ },
  ])('refuses $name with a message', ({ params, error }, ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain(params);
    expect(() => d.resources()).toThrow(ArmFailure);
    expect(() => deployMain(params).resources()).toThrow(error);
    // The same values without wiring deploy: only the combination is refused.
    expect(() => deployMain({ ...params, wireServer: false }).resources()).not.toThrow();
  });

  it('sends PostgreSQLLogs to the logs account and sets pgAudit one parameter at a time', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain(WIRED);
    const [diag, ...more] = serverDiagnostics(d);
    expect(more).toEqual([]);
    expect(diag!.properties.logs).toEqual([{ category: 'PostgreSQLLogs', enabled: true }]);
    expect(diag!.properties.storageAccountId).toMatch(/\/storageAccounts\/stlogs\w+$/);
    const configs = resourcesOfType(d, 'Microsoft.DBforPostgreSQL/flexibleServers/configurations');
    expect(configs.map((c) => String(c.name))).toEqual(
      ['azure.extensions', 'shared_preload_libraries', 'pgaudit.log', 'pgaudit.log_parameter', 'pgaudit.log_rows', 'log_line_prefix'].map((n) => `PgProd-01/${n}`),
    );
    // Serial: parallel parameter updates fail with ServerBusy.
    expect(configs[0]!.raw.copy).toMatchObject({ mode: 'serial', batchSize: 1 });
    const value = (n: string): string => configs.find((c) => String(c.name).endsWith(`/${n}`))!.properties.value as string;
    expect(value('shared_preload_libraries').split(',')).toContain('pgaudit');
    expect(value('azure.extensions').toUpperCase().split(',')).toContain('PGAUDIT');
    // The prefix set on the server is the one the function parses that server's lines with.
    const prefix = value('log_line_prefix');
    expect(JSON.parse(appSettings(WIRED).PGAUDIT_SERVER_LOG_LINE_PREFIXES!)).toMatchObject({ 'pgprod-01': prefix });
    const line = `2026-07-02 03:00:06.123 UTC [4242] 6a45d422.1092 7 alice@shop pgAdmin 4 - DB:shop 10.1.2.3(51234) LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,select 1,<none>`;
    expect(compileLogLinePrefix(prefix).match(line, 'LOG')?.fields).toMatchObject({
      userName: 'alice', databaseName: 'shop', applicationName: 'pgAdmin 4 - DB:shop', clientHost: '10.1.2.3', clientPort: 51234, sessionId: '6a45d422.1092', sessionLine: 7, processId: 4242,
    });
    expect(compileLogLinePrefix(prefix).match('2026-07-02 03:00:06.123 UTC [77] 6a45d422.4d 1 LOG:  checkpoint starting: time', 'LOG')).not.toBeNull();
  });
});

describe('an existing workspace', () => {
  it('an existing workspace is used where it is, without creating one', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const id = '/subscriptions/00000000-0000-0000-0000-00000000000f/resourceGroups/rg-central/providers/Microsoft.OperationalInsights/workspaces/law-central';
    const d = deployMain({ existingWorkspaceId: id });
    expect(resourcesOfType(d, 'Microsoft.OperationalInsights/workspaces')).toEqual([]);
    expect(String(resourcesOfType(d, 'Microsoft.OperationalInsights/workspaces/tables')[0]!.name)).toBe('law-central/PgAudit_CL');
    expect(() => deployMain({ existingWorkspaceId: id, workspaceName: 'log-new' }).resources()).toThrow(/Set existingWorkspaceId or workspaceName, not both/);
    const workspaceModule = d.resources().find((r) => r.type === 'Microsoft.Resources/deployments' && r.name === 'workspace')!;
    expect(d.evaluate(workspaceModule.raw.subscriptionId)).toBe('00000000-0000-0000-0000-00000000000f');
    expect(d.evaluate(workspaceModule.raw.resourceGroup)).toBe('rg-central');
    expect(d.outputs().LOG_ANALYTICS_WORKSPACE_ID!.value).toBe(id);
    // The DCR, alerts and App Insights stay in the app's resource group and point at that workspace.
    const [dcr] = resourcesOfType(d, 'Microsoft.Insights/dataCollectionRules');
    expect(dcr!.properties.destinations.logAnalytics[0].workspaceResourceId).toBe(id);
    for (const rule of resourcesOfType(d, 'Microsoft.Insights/scheduledQueryRules')) expect(rule.properties.scopes).toEqual([id]);
  });
});
