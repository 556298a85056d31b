// More than one DCR (issue 27), read from a simulated deployment of main.bicep with dcrShards 3:
// three DCRs with the same streams and flows (the same tables), Monitoring Metrics Publisher for
// the function's identity on each (the role id from infra/built-in-roles.json), the DCR-limit
// alerts on each, and the app setting PGAUDIT_DCR_SHARDS naming the two further ones.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- evaluated ARM JSON is untyped; the assertions are the type check */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireOrSkip } from '../helpers/tools.js';
import { bicepPath, deployMain, INFRA, MISSING_BICEP, resourcesOfType } from './bicep.js';

const MMP = (JSON.parse(readFileSync(path.join(INFRA, 'built-in-roles.json'), 'utf8')) as { roles: Record<string, { id: string }> }).roles['Monitoring Metrics Publisher']!.id;

describe('dcrShards', () => {
  it('3: three equal DCRs, the identity may publish to each, each has its limit alerts, the app is told the two further ones', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain({ dcrShards: 3 });
    const dcrs = resourcesOfType(d, 'Microsoft.Insights/dataCollectionRules');
    expect(dcrs).toHaveLength(3);
    const [first, ...rest] = dcrs.map((r) => String(r.name));
    expect(rest).toEqual([`${first}-1`, `${first}-2`]);
    for (const r of dcrs) expect(JSON.stringify(r.properties)).toBe(JSON.stringify(dcrs[0]!.properties));
    const publish = resourcesOfType(d, 'Microsoft.Authorization/roleAssignments').filter((r) => String(r.properties.roleDefinitionId).endsWith(MMP) && String(r.scope).includes('/dataCollectionRules/'));
    expect(publish.map((r) => String(r.scope).split('/').at(-1)).sort()).toEqual([first, ...rest].sort());
    const alerts = resourcesOfType(d, 'Microsoft.Insights/metricAlerts').map((r) => String(r.name));
    for (const letter of ['a', 'b', 'c']) expect(alerts.filter((n) => n.includes(`-dcr-${letter}-throttled-`) || n.includes(`-dcr-${letter}-bytes-`))).toHaveLength(2);
    const [site] = resourcesOfType(d, 'Microsoft.Web/sites');
    const setting = (site!.properties.siteConfig.appSettings as { name: string; value: unknown }[]).find((s) => s.name === 'PGAUDIT_DCR_SHARDS');
    expect(typeof setting?.value).toBe('string');
  });

  it('1 (the default): one DCR and PGAUDIT_DCR_SHARDS is an empty list', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain();
    expect(resourcesOfType(d, 'Microsoft.Insights/dataCollectionRules')).toHaveLength(1);
    const [site] = resourcesOfType(d, 'Microsoft.Web/sites');
    expect((site!.properties.siteConfig.appSettings as { name: string; value: unknown }[]).find((s) => s.name === 'PGAUDIT_DCR_SHARDS')?.value).toBe('[]');
  });
});
