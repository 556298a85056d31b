// Every name main.bicep and eventgrid.bicep hand to Azure, for the default environment name and for
// the longest one azd allows, checked against Azure's published naming rules (infra/schemas/
// name-rules.json: the rule, its text and its source). A resource type with no rule must be listed
// as unverified with the reason, so a new type cannot slip past unchecked.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- evaluated ARM JSON is untyped; the assertions are the type check */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireOrSkip } from '../helpers/tools.js';
import { Deployment } from './arm.js';
import { armOf, bicepPath, deployMain, INFRA, MISSING_BICEP, resourcesOfType } from './bicep.js';
import { NAME_RULES, namedResources, violations } from './name-rules.js';

const azdName = NAME_RULES.azdEnvironmentName;
// The longest environment name azd accepts, using every character class its regex allows.
const LONGEST = 'Prod-EU_(blue).'.repeat(5).slice(0, azdName.length![1]);
const ENV_NAMES = ['pgtest', LONGEST];

function checkAll(d: Deployment): string[] {
  const problems: string[] = [];
  for (const r of namedResources(d)) {
    const rule = NAME_RULES.rules[r.type];
    if (!rule) {
      if (!(r.type in NAME_RULES.unverified)) problems.push(`${r.type} ${r.full}: no rule and not listed as unverified`);
      continue;
    }
    for (const v of violations(rule, r.name)) problems.push(`${r.type} ${r.full}: ${v}`);
    if (rule.maxUnique !== undefined && r.name.length > rule.maxUnique) problems.push(`${r.type} ${r.full}: longer than ${rule.maxUnique}, so the host ID is cut`);
  }
  return problems;
}

describe('azd environment names', () => {
  it('the test names are ones azd accepts, the longest at azd\'s limit', () => {
    for (const n of ENV_NAMES) expect(violations(azdName, n), n).toEqual([]);
    expect(LONGEST).toHaveLength(64);
    expect(violations(azdName, `${LONGEST}x`)).not.toEqual([]);
  });

  it('main.bicep takes exactly the lengths azd allows', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const param = (armOf(path.join(INFRA, 'main.bicep')) as { parameters: Record<string, { minLength?: number; maxLength?: number }> }).parameters.environmentName!;
    expect([param.minLength, param.maxLength]).toEqual(azdName.length);
    expect(() => deployMain({ environmentName: `${LONGEST}x` })).toThrow(/maxLength 64/);
  });
});

describe.for(ENV_NAMES)('names generated for environment %s', (environmentName) => {
  it('every resource name follows its published rule', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain({ environmentName, tiering: { enabled: true } });
    expect(namedResources(d).length).toBeGreaterThan(30);
    expect(checkAll(d)).toEqual([]);
    const checked = new Set(namedResources(d).map((r) => r.type).filter((t) => t in NAME_RULES.rules));
    for (const t of ['Microsoft.Storage/storageAccounts', 'Microsoft.Web/sites', 'Microsoft.Web/serverfarms', 'Microsoft.ManagedIdentity/userAssignedIdentities', 'Microsoft.OperationalInsights/workspaces', 'Microsoft.Insights/components', 'Microsoft.Storage/storageAccounts/queueServices/queues', 'Microsoft.Storage/storageAccounts/blobServices/containers', 'Microsoft.Insights/metricAlerts', 'Microsoft.Insights/scheduledQueryRules', 'Microsoft.Insights/actionGroups']) expect(checked, t).toContain(t);
  });

  it('a given name that breaks a rule is caught', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const problems = checkAll(deployMain({ environmentName, identityName: '_id-pgaudit', workspaceName: 'log-pgaudit-' }));
    expect(problems.join('\n')).toMatch(/userAssignedIdentities _id-pgaudit/);
    expect(problems.join('\n')).toMatch(/workspaces log-pgaudit-:/);
  });

  it('the Event Grid subscription of the postdeploy stage follows its rule', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const outputs = deployMain({ environmentName }).outputs();
    const second = new Deployment(armOf(path.join(INFRA, 'eventgrid.bicep')), {
      logsAccountName: outputs.LOGS_STORAGE_ACCOUNT_NAME!.value,
      systemTopicName: outputs.EVENTGRID_SYSTEM_TOPIC_NAME!.value,
      logsContainer: outputs.PGAUDIT_LOGS_CONTAINER!.value,
      webhookUrl: 'https://func.example/runtime/webhooks/eventgrid?functionName=blobCreated&code=x',
    });
    expect(resourcesOfType(second, 'Microsoft.EventGrid/systemTopics/eventSubscriptions')).toHaveLength(1);
    expect(checkAll(second)).toEqual([]);
  });

  it('table, column and DCR stream names follow the Log Analytics and DCR rules', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain({ environmentName, tiering: { enabled: true } });
    const tables = resourcesOfType(d, 'Microsoft.OperationalInsights/workspaces/tables');
    expect(tables.map((t) => String(t.name).split('/')[1]).sort()).toEqual(['PgAuditBulk_CL', 'PgAuditIngest_CL', 'PgAudit_CL']);
    for (const t of tables) {
      const columns = t.properties.schema.columns as { name: string }[];
      expect(columns.length).toBeGreaterThan(10);
      for (const c of columns) expect(violations(NAME_RULES.columns, c.name), `${String(t.name)}.${c.name}`).toEqual([]);
    }
    const [dcr] = resourcesOfType(d, 'Microsoft.Insights/dataCollectionRules');
    const declared = Object.keys(dcr!.properties.streamDeclarations as object);
    expect(declared.length).toBe(2);
    for (const s of declared) expect(s).toMatch(new RegExp(NAME_RULES.streams.declarationPattern));
    const tableNames = tables.map((t) => String(t.name).split('/')[1]);
    for (const f of dcr!.properties.dataFlows as { streams: string[]; outputStream: string }[]) {
      expect(declared).toEqual(expect.arrayContaining(f.streams));
      expect(tableNames.map((t) => `${NAME_RULES.streams.outputPrefix}${t}`)).toContain(f.outputStream);
    }
  });
});

describe('the checker rejects wrong names', () => {
  const rule = (type: string) => NAME_RULES.rules[type]!;
  it.for([
    ['Microsoft.Storage/storageAccounts', 'St_Bad'],
    ['Microsoft.Storage/storageAccounts', 'st'],
    ['Microsoft.Storage/storageAccounts', 's'.repeat(25)],
    ['Microsoft.Storage/storageAccounts/queueServices/queues', 'pgaudit--servers'],
    ['Microsoft.Storage/storageAccounts/queueServices/queues', 'pgaudit-servers-'],
    ['Microsoft.Storage/storageAccounts/blobServices/containers', 'PgAudit-State'],
    ['Microsoft.Web/sites', '-func-pgaudit'],
    ['Microsoft.OperationalInsights/workspaces', 'log'],
    ['Microsoft.Insights/metricAlerts', 'ma-pgaudit:silent'],
    ['Microsoft.Insights/scheduledQueryRules', 'sqr-pgaudit-lag.'],
    ['Microsoft.Authorization/roleAssignments', 'not-a-guid'],
    ['Microsoft.OperationalInsights/workspaces/tables', 'PgAudit'],
    ['Microsoft.EventGrid/systemTopics/eventSubscriptions', 'pgaudit_blob_created'],
  ] as const)('%s refuses %s', ([type, name]) => {
    expect(violations(rule(type), name)).not.toEqual([]);
  });

  it('refuses column names Log Analytics does not take', () => {
    for (const name of ['Bad Column', 'TenantId', 'type', 'Ü', 'a'.repeat(46), '9Lives', '_Private']) expect(violations(NAME_RULES.columns, name), name).not.toEqual([]);
  });

  it('refuses a stream that does not begin with Custom-', () => {
    expect('PgAudit_CL').not.toMatch(new RegExp(NAME_RULES.streams.declarationPattern));
  });
});
