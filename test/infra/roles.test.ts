// Least privilege, read from a simulated deployment of main.bicep: the function identity's role
// assignments, each on one resource, are exactly the set docs/deploy.md explains (read-only on the
// audit evidence), and the storage accounts take no keys.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- evaluated ARM JSON is untyped; the assertions are the type check */
import { describe, expect, it } from 'vitest';
import { requireOrSkip } from '../helpers/tools.js';
import { bicepPath, deployMain, FAKE, MISSING_BICEP, resourcesOfType } from './bicep.js';

// Built-in role definition ids (the same in every tenant).
const ROLES: Record<string, string> = {
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1': 'Storage Blob Data Reader',
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  '974c5e8b-45b9-4653-ba55-5f855dd0a3f5': 'Storage Queue Data Contributor',
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
};

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
    const id = String(r.properties.roleDefinitionId).split('/').at(-1)!;
    (sets[scope.split('/').at(-1)!] ??= []).push(ROLES[id] ?? id);
  }
  for (const roles of Object.values(sets)) roles.sort();
  return sets;
}

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
