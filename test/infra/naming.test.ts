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

// Each named resource: its type, the parameter that names it, and the abbreviation it is generated
// with. The longest name Azure accepts comes from the published naming rules
// (infra/schemas/name-rules.json, each with its source); a type with no published rule has no
// length checked here (name-rules.test.ts lists it as unverified).
const NAMED = [
  { type: 'Microsoft.ManagedIdentity/userAssignedIdentities', param: 'identityName', abbr: 'managedIdentityUserAssignedIdentities' },
  { type: 'Microsoft.Web/serverfarms', param: 'planName', abbr: 'webServerFarms' },
  { type: 'Microsoft.Web/sites', param: 'functionAppName', abbr: 'webSitesFunctions', global: true },
  { type: 'Microsoft.Storage/storageAccounts', param: 'stateStorageAccountName', abbr: 'storageStorageAccounts', global: true, pick: 'pgaudit' },
  { type: 'Microsoft.Storage/storageAccounts', param: 'logsStorageAccountName', abbr: 'storageStorageAccounts', global: true, pick: 'logs' },
  { type: 'Microsoft.OperationalInsights/workspaces', param: 'workspaceName', abbr: 'operationalInsightsWorkspaces' },
  { type: 'Microsoft.Insights/components', param: 'appInsightsName', abbr: 'insightsComponents' },
  { type: 'Microsoft.Insights/dataCollectionRules', param: 'dcrName', abbr: 'insightsDataCollectionRules' },
  { type: 'Microsoft.Insights/actionGroups', param: 'actionGroupName', abbr: 'insightsActionGroups' },
  { type: 'Microsoft.OperationalInsights/queryPacks', param: 'queryPackName', abbr: 'operationalInsightsQueryPacks' },
] as const;

const RULES = (JSON.parse(readFileSync(path.join(INFRA, 'schemas', 'name-rules.json'), 'utf8')) as { rules: Record<string, { length?: [number, number]; maxUnique?: number }> }).rules;
/** The longest name of a type: unique within maxUnique where the rule says so (function apps: 32), else its length limit. */
const maxOf = (type: string): number | null => RULES[type]?.maxUnique ?? RULES[type]?.length?.[1] ?? null;

function nameOf(d: Deployment, n: (typeof NAMED)[number]): string {
  const names = resourcesOfType(d, n.type).map((r) => String(r.name)).filter((s) => !('pick' in n) || s.startsWith(`st${n.pick}`));
  expect(names, n.param).toHaveLength(1);
  return names[0]!;
}

const inScope = (subscriptionId: string, resourceGroup: string, environmentName: string): Deployment => deployMain({ environmentName }, { subscriptionId, resourceGroup });

describe('generated names', () => {
  it.for(NAMED)('$param: abbreviation from abbreviations.json, token, within the published length', (n, ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const name = nameOf(deployMain(), n);
    expect(name.startsWith(abbrs[n.abbr]!), `${name} starts with ${abbrs[n.abbr]}`).toBe(true);
    expect(name).toMatch(/[a-z0-9]{13}$/); // uniqueString() token
    const max = maxOf(n.type);
    if (max !== null) expect(name.length).toBeLessThanOrEqual(max);
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
