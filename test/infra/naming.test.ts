// Names a second team can deploy without collisions: generated names are an abbreviation (data in
// infra/abbreviations.json) plus a token of subscription, resource group and environment name, so
// the same environment name elsewhere gets other global names; every name can be given instead.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireOrSkip } from '../helpers/tools.js';
import { TEST_SCOPE, type Deployment } from './arm.js';
import { armOf, bicepPath, deployMain, INFRA, MISSING_BICEP, resourcesOfType } from './bicep.js';

const abbrs = JSON.parse(readFileSync(path.join(INFRA, 'abbreviations.json'), 'utf8')) as Record<string, string>;

// Each named resource: its type, the parameter that names it, the abbreviation it is generated
// with, and the longest name Azure accepts for it.
const NAMED = [
  { type: 'Microsoft.ManagedIdentity/userAssignedIdentities', param: 'identityName', abbr: 'managedIdentityUserAssignedIdentities', max: 128 },
  { type: 'Microsoft.Web/serverfarms', param: 'planName', abbr: 'webServerFarms', max: 60 },
  { type: 'Microsoft.Web/sites', param: 'functionAppName', abbr: 'webSitesFunctions', max: 32, global: true },
  { type: 'Microsoft.Storage/storageAccounts', param: 'stateStorageAccountName', abbr: 'storageStorageAccounts', max: 24, global: true, pick: 'pgaudit' },
  { type: 'Microsoft.Storage/storageAccounts', param: 'logsStorageAccountName', abbr: 'storageStorageAccounts', max: 24, global: true, pick: 'logs' },
  { type: 'Microsoft.OperationalInsights/workspaces', param: 'workspaceName', abbr: 'operationalInsightsWorkspaces', max: 63 },
  { type: 'Microsoft.Insights/components', param: 'appInsightsName', abbr: 'insightsComponents', max: 255 },
  { type: 'Microsoft.Insights/dataCollectionRules', param: 'dcrName', abbr: 'insightsDataCollectionRules', max: 44 },
  { type: 'Microsoft.Insights/actionGroups', param: 'actionGroupName', abbr: 'insightsActionGroups', max: 260 },
  { type: 'Microsoft.OperationalInsights/queryPacks', param: 'queryPackName', abbr: 'operationalInsightsQueryPacks', max: 260 },
] as const;

function nameOf(d: Deployment, n: (typeof NAMED)[number]): string {
  const names = resourcesOfType(d, n.type).map((r) => String(r.name)).filter((s) => !('pick' in n) || s.startsWith(`st${n.pick}`));
  expect(names, n.param).toHaveLength(1);
  return names[0]!;
}

const inScope = (subscriptionId: string, resourceGroup: string, environmentName: string): Deployment => deployMain({ environmentName }, { subscriptionId, resourceGroup });

describe('generated names', () => {
  it.for(NAMED)('$param: abbreviation from abbreviations.json, token, within $max characters', (n, ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const name = nameOf(deployMain(), n);
    expect(name.startsWith(abbrs[n.abbr]!), `${name} starts with ${abbrs[n.abbr]}`).toBe(true);
    expect(name).toMatch(/[a-z0-9]{13}$/); // uniqueString() token
    expect(name.length).toBeLessThanOrEqual(n.max);
    if (n.type === 'Microsoft.Storage/storageAccounts') expect(name).toMatch(/^[a-z0-9]{3,24}$/);
  });

  it('the same environment name in another subscription or resource group gets other global names', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const scopes = [
      inScope(TEST_SCOPE.subscriptionId, 'rg-team-a', 'dev'),
      inScope(TEST_SCOPE.subscriptionId, 'rg-team-b', 'dev'),
      inScope('00000000-0000-0000-0000-0000000000bb', 'rg-team-a', 'dev'),
    ];
    for (const n of NAMED.filter((x) => 'global' in x)) {
      const names = scopes.map((d) => nameOf(d, n));
      expect(new Set(names).size, `${n.param}: ${names.join(', ')}`).toBe(names.length);
    }
    // And the same inputs give the same names again (a redeployment updates, never duplicates).
    expect(nameOf(inScope(TEST_SCOPE.subscriptionId, 'rg-team-a', 'dev'), NAMED[2])).toBe(nameOf(scopes[0]!, NAMED[2]));
  });

  it('alert rules and the system topic follow the same scheme', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain();
    for (const r of resourcesOfType(d, 'Microsoft.Insights/scheduledQueryRules')) expect(String(r.name)).toMatch(new RegExp(`^${abbrs.insightsScheduledQueryRules}pgaudit-[a-z-]+-[a-z0-9]{13}$`));
    const metricAlerts = resourcesOfType(d, 'Microsoft.Insights/metricAlerts');
    expect(metricAlerts.length).toBeGreaterThan(0);
    for (const r of metricAlerts) expect(String(r.name)).toMatch(new RegExp(`^${abbrs.insightsMetricAlerts}pgaudit-[a-z-]+-[a-z0-9]{13}$`));
    expect(d.outputs().EVENTGRID_SYSTEM_TOPIC_NAME!.value).toBe(`${abbrs.eventGridSystemTopics}${nameOf(d, NAMED[4])}`);
  });
});

describe('given names', () => {
  it.for(NAMED)('$param names its resource', (n, ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const given = n.type === 'Microsoft.Storage/storageAccounts' ? `st${'pick' in n ? n.pick : ''}given01` : `given-${n.param.toLowerCase()}`;
    expect(nameOf(deployMain({ [n.param]: given }), n)).toBe(given);
  });

  it('a global name longer than Azure allows is refused as a parameter error', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    expect(() => deployMain({ functionAppName: 'f'.repeat(33) })).toThrow(/maxLength 32/);
    expect(() => deployMain({ stateStorageAccountName: 's'.repeat(25) })).toThrow(/maxLength 24/);
  });

  it('an existing logs account and a name for a new one together are refused', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    expect(() => deployMain({ existingLogsStorageAccountName: 'mylogs', logsStorageAccountName: 'stlogsnew' }).resources()).toThrow(/Set existingLogsStorageAccountName or logsStorageAccountName, not both/);
  });

  it('every name parameter is described with its generated form', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const params = (armOf(path.join(INFRA, 'main.bicep')) as { parameters: Record<string, { defaultValue?: unknown; metadata: { description: string } }> }).parameters;
    for (const n of NAMED) {
      expect(params[n.param]!.defaultValue, n.param).toBe('');
      expect(params[n.param]!.metadata.description, n.param).toMatch(/empty: \S+<token>/);
    }
  });
});
