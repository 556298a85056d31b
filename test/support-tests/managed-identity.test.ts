// The managed-identity double serves the real @azure/identity credentials exactly as the App
// Service / Functions endpoint does. One endpoint per file: MSAL keeps the first source it sees.
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCredential } from '../../src/config/azure-clients.js';
import { CONFLICTING_CREDENTIAL_ENV, startIdentityEndpoint, useManagedIdentityEnv, type IdentityHandle } from '../support/managed-identity-endpoint.js';

const SCOPE = 'https://monitor.azure.com//.default';
const RESOURCE = 'https://monitor.azure.com/';
const UAMI = 'aaaaaaaa-0000-4000-8000-000000000001';

let identity: IdentityHandle;
let restoreEnv: () => void;
const before = { ...process.env };
beforeAll(async () => {
  // Variables a developer machine may have, which would send DefaultAzureCredential elsewhere.
  Object.assign(process.env, { AZURE_TENANT_ID: 't', AZURE_CLIENT_ID: 'c', AZURE_CLIENT_SECRET: 's', MSI_ENDPOINT: 'http://127.0.0.1:9/x', IDENTITY_SERVER_THUMBPRINT: 'ab' });
  identity = await startIdentityEndpoint();
  restoreEnv = useManagedIdentityEnv(identity);
});
afterAll(async () => {
  restoreEnv?.();
  for (const name of ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'MSI_ENDPOINT', 'IDENTITY_SERVER_THUMBPRINT']) {
    if (before[name] === undefined) delete process.env[name];
    else process.env[name] = before[name];
  }
  await identity?.close();
});

async function get(query: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${identity.endpoint}?${query}`, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('managed identity endpoint', () => {
  it('sets IDENTITY_ENDPOINT/IDENTITY_HEADER and hides the variables that would pick another credential', () => {
    expect(process.env.IDENTITY_ENDPOINT).toBe(identity.endpoint);
    expect(process.env.IDENTITY_HEADER).toBe(identity.header);
    for (const name of CONFLICTING_CREDENTIAL_ENV) expect(process.env[name], name).toBeUndefined();
  });

  it('gives the real ManagedIdentityCredential (system-assigned) a token it can verify', async () => {
    const t = await new ManagedIdentityCredential().getToken(SCOPE);
    expect(identity.validToken(t.token)).toBe(true);
    expect(identity.validToken(`${t.token}x`)).toBe(false);
    const req = identity.requests.at(-1)!;
    expect(req).toMatchObject({ status: 200, resource: RESOURCE, clientId: null, apiVersion: '2019-08-01' });
    const issued = identity.issuedTokens.at(-1)!;
    expect(issued.token).toBe(t.token);
    // expires_on (epoch seconds, sent as a string) became the SDK's expiresOnTimestamp. MSAL turns it
    // into a lifetime and back at whole seconds, so a second boundary crossed in between shows as
    // one second less (seen in a full test run): never later, never more than a second earlier.
    expect(t.expiresOnTimestamp).toBeLessThanOrEqual(issued.expiresOn * 1000);
    expect(t.expiresOnTimestamp).toBeGreaterThanOrEqual((issued.expiresOn - 1) * 1000);
    expect(t.tokenType).toBe('Bearer');
  });

  it('passes the client id of a user-assigned identity, from ManagedIdentityCredential and DefaultAzureCredential', async () => {
    const a = await new ManagedIdentityCredential({ clientId: UAMI }).getToken(SCOPE);
    expect(identity.requests.at(-1)).toMatchObject({ status: 200, resource: RESOURCE, clientId: UAMI });
    expect(identity.issuedTokens.at(-1)).toMatchObject({ token: a.token, clientId: UAMI });
    const other = 'bbbbbbbb-0000-4000-8000-000000000002';
    const b = await new DefaultAzureCredential({ managedIdentityClientId: other }).getToken(SCOPE);
    expect(identity.requests.at(-1)).toMatchObject({ status: 200, resource: RESOURCE, clientId: other });
    expect(identity.validToken(b.token)).toBe(true);
    // The product's own factory (src/config/azure-clients.ts) takes the same path.
    const third = 'cccccccc-0000-4000-8000-000000000003';
    const c = await defaultCredential(third).getToken(SCOPE);
    expect(identity.issuedTokens.at(-1)).toMatchObject({ token: c?.token, clientId: third });
  });

  it('caches tokens per process (MSAL): a new credential for the same identity makes no request', async () => {
    const n = identity.requests.length;
    const first = await new ManagedIdentityCredential({ clientId: UAMI }).getToken(SCOPE);
    const again = await new DefaultAzureCredential({ managedIdentityClientId: UAMI }).getToken(SCOPE);
    expect(again.token).toBe(first.token);
    expect(identity.requests.length).toBe(n);
  });

  it('short-lived tokens (≤ 300 s) are fetched anew every time, so revocation can be tested', async () => {
    identity.setLifetimeSeconds(240);
    const id = 'dddddddd-0000-4000-8000-000000000004';
    const first = await new ManagedIdentityCredential({ clientId: id }).getToken(SCOPE);
    identity.revokeAll();
    expect(identity.validToken(first.token)).toBe(false);
    const second = await new ManagedIdentityCredential({ clientId: id }).getToken(SCOPE);
    expect(second.token).not.toBe(first.token);
    expect(identity.validToken(second.token)).toBe(true);
    identity.setLifetimeSeconds(3600);
  });

  it('refuses a missing (400) or wrong (401) X-IDENTITY-HEADER, and a wrong api-version (400)', async () => {
    const q = `api-version=2019-08-01&resource=${encodeURIComponent(RESOURCE)}`;
    expect(await get(q)).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await get(q, { 'X-IDENTITY-HEADER': 'wrong' })).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect(await get(`api-version=2017-09-01&resource=${encodeURIComponent(RESOURCE)}`, { 'X-IDENTITY-HEADER': identity.header })).toMatchObject({ status: 400 });
    const ok = await get(`${q}&client_id=${UAMI}`, { 'X-IDENTITY-HEADER': identity.header });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ resource: RESOURCE, token_type: 'Bearer', client_id: UAMI });
    expect(ok.body.expires_on).toMatch(/^\d{10}$/);
    expect(identity.requests.slice(-4).map((r) => r.status)).toEqual([400, 401, 400, 200]);
  });

  it('a failing endpoint surfaces as CredentialUnavailableError from the credential', async () => {
    identity.failNext(500, 10);
    const n = identity.requests.length;
    const err: unknown = await new ManagedIdentityCredential({ clientId: 'eeeeeeee-0000-4000-8000-000000000005' }).getToken(SCOPE).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('CredentialUnavailableError');
    expect((err as Error).message).toMatch(/^ManagedIdentityCredential: Authentication failed\. .*injected HTTP 500/);
    const tries = identity.requests.slice(n);
    // Observed: 4 requests over ~5 s (the identity client's own retries; retryOptions.maxRetries
    // on the credential does not change that for this source).
    expect(tries.length).toBeGreaterThanOrEqual(1);
    expect(tries.every((r) => r.status === 500)).toBe(true);
    identity.failNext(500, 0);
  });

  it('restores the environment it changed', () => {
    restoreEnv();
    expect(process.env.AZURE_CLIENT_SECRET).toBe('s');
    expect(process.env.IDENTITY_ENDPOINT).toBe(before.IDENTITY_ENDPOINT);
    restoreEnv = useManagedIdentityEnv(identity);
  });
});
