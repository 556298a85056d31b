// The detection pack as Microsoft Sentinel analytics rules (sentinelAnalyticsRules, modules/sentinel-rules.bicep),
// read from a simulated deployment of main.bicep: a deployment gets one kind of rule per detection
// (analytics rules with Sentinel, log search alerts without); every analytics rule is a Scheduled
// rule on the workspace whose entity columns and custom details are columns its own query returns
// (Kusto.Language, as kql.test.ts gets result schemas), whose tactics and techniques are valid
// ATT&CK ids that agree with the file's header, and whose baseline reads 14 days.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- evaluated ARM JSON is untyped; the assertions are the type check */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resultColumns } from '../helpers/kusto.js';
import { requireOrSkip } from '../helpers/tools.js';
import type { EvaluatedResource } from './arm.js';
import { bicepPath, deployMain, INFRA, MISSING_BICEP, resourcesOfType } from './bicep.js';
import { deployedTables } from './deployed.js';

const KQL = path.join(INFRA, 'kql');
const FILES = readdirSync(KQL).filter((f) => f.startsWith('detect-') && f.endsWith('.kql')).sort();
const RULE = (f: string): string => f.replace(/^detect-|\.kql$/g, '');
const header = (rule: string, field: string): string => new RegExp(`^// ${field}: (.*)$`, 'm').exec(readFileSync(path.join(KQL, `detect-${rule}.kql`), 'utf8'))![1]!.trim();
const ATTACK = JSON.parse(readFileSync(path.join(INFRA, 'attack-techniques.json'), 'utf8')) as {
  source: { repository: string; commit: string };
  sentinelTactics: Record<string, string>;
  techniques: Record<string, { name: string; tactics: string[] }>;
};

// Sourced lists the rules are checked against:
// - AttackTactic and AlertSeverity of Microsoft.SecurityInsights alertRules 2024-09-01
//   (Azure/azure-rest-api-specs, specification/securityinsights/resource-manager/Microsoft.SecurityInsights/
//   stable/2024-09-01/common/AlertTypes.json at 60dfcd82bd2bd8deb2852b1b6d7f59a671af4497);
// - entity types and their identifiers (MicrosoftDocs/azure-docs articles/sentinel/entities-reference.md
//   at df9ae8bdfd0eeb0c1bd4abd1fd9d1ed00839c203): only those the rules use.
const SENTINEL_TACTICS = ['Reconnaissance', 'ResourceDevelopment', 'InitialAccess', 'Execution', 'Persistence', 'PrivilegeEscalation', 'DefenseEvasion', 'CredentialAccess', 'Discovery', 'LateralMovement', 'Collection', 'Exfiltration', 'CommandAndControl', 'Impact', 'PreAttack', 'ImpairProcessControl', 'InhibitResponseFunction'];
const SENTINEL_SEVERITIES = ['High', 'Medium', 'Low', 'Informational'];
const ENTITY_IDENTIFIERS: Record<string, string[]> = {
  Account: ['Name', 'FullName', 'NTDomain', 'DnsDomain', 'UPNSuffix', 'Sid', 'AadTenantId', 'AadUserId', 'PUID', 'IsDomainJoined', 'DisplayName', 'ObjectGuid'],
  Host: ['DnsDomain', 'NTDomain', 'HostName', 'FullName', 'NetBiosName', 'AzureID', 'OMSAgentID', 'OSFamily', 'OSVersion', 'IsDomainJoined'],
  IP: ['Address'],
};
const WITH_SENTINEL = { sentinelAnalyticsRules: true, detections: { identitySwitch: { enabled: false }, firstSeenAccess: { baselineDays: 1 } } };

interface Mapping { entityType: string; fieldMappings: { identifier: string; columnName: string }[] }

let cached: { rules: EvaluatedResource[]; alerts: EvaluatedResource[]; workspace: EvaluatedResource; tables: ReturnType<typeof deployedTables>['tables']; functions: EvaluatedResource[] } | null = null;
function sentinelDeployment() {
  if (cached) return cached;
  const d = deployMain(WITH_SENTINEL);
  cached = {
    rules: resourcesOfType(d, 'Microsoft.SecurityInsights/alertRules'),
    alerts: resourcesOfType(d, 'Microsoft.Insights/scheduledQueryRules'),
    workspace: resourcesOfType(d, 'Microsoft.OperationalInsights/workspaces')[0]!,
    tables: deployedTables(d).tables,
    functions: resourcesOfType(d, 'Microsoft.OperationalInsights/workspaces/savedSearches'),
  };
  return cached;
}
const ruleOf = (r: EvaluatedResource): string => String(r.properties.displayName).replace(/^pgAudit detection: /, '');
const analytics = (rule: string): EvaluatedResource => sentinelDeployment().rules.find((r) => ruleOf(r) === rule)!;

describe('which kind of rule a deployment gets', () => {
  it('without Sentinel: a log search alert per detection and no analytics rule', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain();
    expect(resourcesOfType(d, 'Microsoft.SecurityInsights/alertRules')).toEqual([]);
    expect(resourcesOfType(d, 'Microsoft.Insights/scheduledQueryRules').filter((r) => String(r.name).includes('-detect-')).length).toBe(FILES.length);
  });

  it('with sentinelAnalyticsRules: an analytics rule per detection and no detection alert (each rule runs once); the original and health alerts stay', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const { rules, alerts } = sentinelDeployment();
    expect(rules.map(ruleOf).sort()).toEqual(FILES.map(RULE).sort());
    expect(alerts.filter((r) => String(r.name).includes('-detect-'))).toEqual([]);
    expect(alerts.length).toBeGreaterThanOrEqual(8);
  });

  it('every analytics rule is a Scheduled rule on the workspace, named by a stable GUID, creating incidents', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const { rules, workspace } = sentinelDeployment();
    for (const r of rules) {
      expect(r.raw.kind, ruleOf(r)).toBe('Scheduled');
      expect(String(r.scope), ruleOf(r)).toMatch(new RegExp(`/providers/Microsoft\\.OperationalInsights/workspaces/${String(workspace.name)}$`));
      expect(String(r.name)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(r.properties).toMatchObject({ triggerOperator: 'GreaterThan', triggerThreshold: 0, suppressionEnabled: false, eventGroupingSettings: { aggregationKind: 'AlertPerResult' } });
      expect(r.properties.incidentConfiguration).toMatchObject({ createIncident: true, groupingConfiguration: { enabled: true, matchingMethod: 'Selected' } });
    }
    expect(new Set(rules.map((r) => r.name)).size).toBe(rules.length);
    expect(analytics('identity-switch').properties.enabled).toBe(false);
    expect(analytics('audit-tampering').properties.enabled).toBe(true);
  });
});

describe.each(FILES.map(RULE))('analytics rule %s', (rule) => {
  it('maps entities and custom details only to columns its own query returns, and maps every user and client column', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const r = analytics(rule);
    const columns = resultColumns(String(r.properties.query), sentinelDeployment().tables)!.map((c) => c.name);
    const mappings = r.properties.entityMappings as Mapping[];
    for (const m of mappings) {
      expect(Object.keys(ENTITY_IDENTIFIERS), m.entityType).toContain(m.entityType);
      expect(m.fieldMappings.length).toBeLessThanOrEqual(3); // up to three identifiers per entity (entities-reference.md)
      for (const f of m.fieldMappings) {
        expect(ENTITY_IDENTIFIERS[m.entityType], `${m.entityType}.${f.identifier}`).toContain(f.identifier);
        expect(columns, `${m.entityType}.${f.identifier} = ${f.columnName}`).toContain(f.columnName);
      }
    }
    const types = mappings.map((m) => m.entityType);
    // The server is always the Host; a user column is the Account (on that server), a client column the IP.
    expect(types).toContain('Host');
    expect(types.includes('Account')).toBe(columns.includes('UserName'));
    expect(types.includes('IP')).toBe(columns.includes('ClientHost'));
    const details = r.properties.customDetails as Record<string, string>;
    expect(Object.keys(details).length).toBeGreaterThan(0);
    for (const [key, column] of Object.entries(details)) {
      expect(key).toMatch(/^[A-Za-z0-9]{1,20}$/);
      expect(columns, `customDetails.${key}`).toContain(column);
    }
    // The statement travels with the alert wherever the rule returns one.
    for (const c of ['Statement', 'Statements', 'Messages']) if (columns.includes(c)) expect(Object.values(details)).toContain(c);
    // Incidents grouped by server and user (server and client without a user), entities the rule maps.
    const groupBy = r.properties.incidentConfiguration.groupingConfiguration.groupByEntities as string[];
    expect(groupBy).toEqual(types.includes('Account') ? ['Host', 'Account'] : ['Host', 'IP']);
    for (const g of groupBy) expect(types).toContain(g);
  });

  it('carries the header: severity, description, tactics and techniques from its ATT&CK ids', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const r = analytics(rule);
    const ids = header(rule, 'ATT&CK').split(', ');
    for (const id of ids) expect(ATTACK.techniques, id).toHaveProperty([id]);
    expect(r.properties.description).toBe(header(rule, 'Detection'));
    expect(SENTINEL_SEVERITIES).toContain(r.properties.severity);
    expect(r.properties.severity).toBe(['High', 'Medium', 'Low', 'Informational', 'Informational'][Number(header(rule, 'Severity'))]);
    const techniques = r.properties.techniques as string[];
    expect([...techniques].sort()).toEqual([...new Set(ids.map((id) => id.split('.')[0]!))].sort());
    for (const t of techniques) expect(t).toMatch(/^T\d{4}$/);
    const tactics = r.properties.tactics as string[];
    expect([...tactics].sort()).toEqual([...new Set(ids.flatMap((id) => ATTACK.techniques[id]!.tactics.map((t) => ATTACK.sentinelTactics[t]!)))].sort());
    for (const t of tactics) expect(SENTINEL_TACTICS).toContain(t);
    expect(new Set(tactics).size).toBe(tactics.length);
  });

  it('runs as often as its log search alert would and reads what its query needs (at most 14 days)', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const r = analytics(rule);
    const query = String(r.properties.query);
    const days = /^let Baseline = (\d+)d;$/m.exec(query)?.[1];
    const period = String(r.properties.queryPeriod);
    if (rule === 'first-seen-access' || rule === 'bulk-read-baseline') {
      // The 14-day baselines only an analytics rule can read; the log search alert keeps 1–2 days.
      expect(days).toBe('14');
      expect(period).toBe('P14D');
      expect(r.properties.queryFrequency).toBe('PT1H');
    } else if (days) expect(period).toBe(`P${days}D`);
    else expect([r.properties.queryFrequency, period]).toEqual(['PT5M', 'PT15M']);
  });
});

describe('the ATT&CK data (infra/attack-techniques.json)', () => {
  it('holds every technique a header names, and their parents, each with tactics Sentinel knows; nothing else', () => {
    const named = FILES.flatMap((f) => header(RULE(f), 'ATT&CK').split(', '));
    const wanted = new Set([...named, ...named.map((id) => id.split('.')[0]!)]);
    expect(Object.keys(ATTACK.techniques).sort()).toEqual([...wanted].sort());
    for (const [id, t] of Object.entries(ATTACK.techniques)) {
      expect(id).toMatch(/^T\d{4}(\.\d{3})?$/);
      expect(t.tactics.length, id).toBeGreaterThan(0);
      for (const tactic of t.tactics) expect(SENTINEL_TACTICS, `${id} ${tactic}`).toContain(ATTACK.sentinelTactics[tactic]);
    }
    expect(ATTACK.source).toMatchObject({ repository: 'mitre/cti', commit: expect.stringMatching(/^[0-9a-f]{40}$/) });
  });

  it('the header check refuses an id that is not in the data (the check has teeth)', () => {
    expect(ATTACK.techniques).not.toHaveProperty(['T9999']);
    expect(ATTACK.techniques).not.toHaveProperty(['T1485.001']);
  });
});

it('the workspace functions hold the query the analytics rule runs (the 14-day baseline with Sentinel)', (ctx) => {
  requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
  const f = sentinelDeployment().functions.find((x) => x.properties.functionAlias === 'PgAuditDetection_BulkReadBaseline')!;
  expect(f.properties.query).toBe(analytics('bulk-read-baseline').properties.query);
});
/* eslint-enable */
