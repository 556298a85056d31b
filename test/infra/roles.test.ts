// Least privilege, read from a simulated deployment of main.bicep: the function identity's role
// assignments, each on one resource, are exactly the set docs/deploy.md explains (read-only on the
// audit evidence), and the storage accounts take no keys.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- evaluated ARM JSON is untyped; the assertions are the type check */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireOrSkip } from '../helpers/tools.js';
import { bicepPath, deployMain, FAKE, INFRA, MISSING_BICEP, resourcesOfType } from './bicep.js';

// The sourced data (infra/built-in-roles.json): each id read from Microsoft's built-in roles
// reference. The templates load it; this test reads it independently and checks every compiled
// assignment against it, so an id that is not in the reference cannot reach a deployment.
type RoleEntry = { id: string; source: string; sourceFile: string };
const BUILT_IN = (JSON.parse(readFileSync(path.join(INFRA, 'built-in-roles.json'), 'utf8')) as { roles: Record<string, RoleEntry> }).roles;
const ROLE_BY_ID = new Map(Object.entries(BUILT_IN).map(([name, r]) => [r.id, name]));
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The built-in role a roleDefinitionId names, or an error saying it is not in the sourced file. */
function roleOf(roleDefinitionId: string): { ok: true; name: string } | { ok: false; reason: string } {
  const m = /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Authorization\/roleDefinitions\/([^/]+)$/.exec(roleDefinitionId);
  if (!m) return { ok: false, reason: `${roleDefinitionId} is not a subscription-scoped role definition id` };
  const name = ROLE_BY_ID.get(m[1]!);
  return name ? { ok: true, name } : { ok: false, reason: `${m[1]} is not in infra/built-in-roles.json (Microsoft's built-in roles reference)` };
}

/** Role names by the name of the resource they are scoped to. */
function roleSets(params: Record<string, unknown>): Record<string, string[]> {
  const sets: Record<string, string[]> = {};
  for (const r of resourcesOfType(deployMain(params), 'Microsoft.Authorization/roleAssignments')) {
    expect(r.properties.principalId).toBe(FAKE.principalId);
    expect(r.properties.principalType).toBe('ServicePrincipal');
    expect(r.raw.name).toMatch(/^\[guid\(/); // idempotent: the same name on every deployment
    const scope = String(r.scope);
    // One resource, never a resource group or subscription.
    expect(scope).toMatch(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.[\w.]+\/\w+\/[^/]+$/);
    const role = roleOf(String(r.properties.roleDefinitionId));
    if (!role.ok) throw new Error(role.reason);
    (sets[scope.split('/').at(-1)!] ??= []).push(role.name);
  }
  for (const roles of Object.values(sets)) roles.sort();
  return sets;
}

describe('built-in role ids', () => {
  it('each comes with its source in Microsoft\'s built-in roles reference', () => {
    expect(Object.keys(BUILT_IN).length).toBeGreaterThan(0);
    for (const [name, r] of Object.entries(BUILT_IN)) {
      expect(r.id, name).toMatch(GUID);
      const anchor = name.toLowerCase().replaceAll(' ', '-');
      expect(r.source, name).toMatch(new RegExp(`^https://learn\\.microsoft\\.com/azure/role-based-access-control/built-in-roles/\\w[\\w-]*#${anchor}$`));
      expect(r.sourceFile, name).toMatch(/^MicrosoftDocs\/azure-docs articles\/role-based-access-control\/built-in-roles\/[\w-]+\.md @ [0-9a-f]{40}$/);
    }
    expect(ROLE_BY_ID.size, 'one name per id').toBe(Object.keys(BUILT_IN).length);
  });

  it.for([
    // The id the first release shipped for Storage Queue Data Contributor: no built-in role has it.
    { name: 'an id no built-in role has', id: '/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/974c5e8b-45b9-4653-ba55-5f855dd0a3f5', reason: /not in infra\/built-in-roles\.json/ },
    { name: 'a tenant-scoped id', id: '/providers/Microsoft.Authorization/roleDefinitions/974c5e8b-45b9-4653-ba55-5f855dd0fb88', reason: /not a subscription-scoped/ },
  ])('the check refuses $name', ({ id, reason }) => {
    const r = roleOf(id);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});

describe('role assignments of the function identity', () => {
  it.for([
    { name: 'new logs account', params: {}, logs: 'stlogs' },
    { name: 'existing logs account', params: { existingLogsStorageAccountName: 'auditlogs01' }, logs: 'auditlogs01' },
  ])('are exactly these, per resource ($name)', ({ params, logs }, ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const sets = roleSets(params);
    const byPrefix = (prefix: string): string[] => {
      const keys = Object.keys(sets).filter((k) => k.startsWith(prefix));
      expect(keys, prefix).toHaveLength(1);
      return sets[keys[0]!]!;
    };
    expect(Object.keys(sets)).toHaveLength(4);
    expect(byPrefix('dcr-pgaudit-')).toEqual(['Monitoring Metrics Publisher']);
    expect(byPrefix('appi-pgaudit-')).toEqual(['Monitoring Metrics Publisher']);
    // The function's own account: host storage, deployment package, checkpoints, leases, dead
    // letters; and the server queue (trigger, poison queue, enqueuing, deferral), on this account only.
    expect(byPrefix('stpgaudit')).toEqual(['Storage Blob Data Owner', 'Storage Queue Data Contributor']);
    // The audit evidence: read and list only; no write, delete, lease or queue.
    expect(byPrefix(logs)).toEqual(['Storage Blob Data Reader']);
  });

  it('grant nothing that can write to the logs account', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const logs = Object.entries(roleSets({})).filter(([name]) => name.startsWith('stlogs')).flatMap(([, roles]) => roles);
    for (const writer of ['Storage Blob Data Owner', 'Storage Blob Data Contributor', 'Storage Queue Data Contributor', 'Storage Table Data Contributor']) expect(logs).not.toContain(writer);
  });
});

describe('storage and telemetry', () => {
  it('accounts allow no shared keys or public blobs, and need TLS 1.2; App Insights takes no keys', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain();
    const accounts = resourcesOfType(d, 'Microsoft.Storage/storageAccounts');
    expect(accounts).toHaveLength(2); // host/state and a new logs account
    for (const a of accounts) expect(a.properties).toMatchObject({ allowSharedKeyAccess: false, allowBlobPublicAccess: false, minimumTlsVersion: 'TLS1_2', supportsHttpsTrafficOnly: true });
    expect(resourcesOfType(deployMain({ existingLogsStorageAccountName: 'mylogs' }), 'Microsoft.Storage/storageAccounts')).toHaveLength(1);
    expect(resourcesOfType(d, 'Microsoft.Insights/components')[0]!.properties.DisableLocalAuth).toBe(true);
  });
});
