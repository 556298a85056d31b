// A local stand-in for the App Service / Functions managed-identity endpoint, so the real
// @azure/identity code (ManagedIdentityCredential, DefaultAzureCredential → MSAL node's AppService
// source) runs unchanged. What @azure/identity 4.13.1 / @azure/msal-node 5.6 send, read from
// msal-node src/client/ManagedIdentitySources/AppService.ts and BaseManagedIdentitySource.ts:
//
//   GET $IDENTITY_ENDPOINT?api-version=2019-08-01&resource=https%3A%2F%2Fmonitor.azure.com%2F[&client_id=<id>]
//   X-IDENTITY-HEADER: $IDENTITY_HEADER        (also content-type: application/x-www-form-urlencoded)
//
// (`resource` is the scope without "/.default"; a user-assigned identity adds client_id, or
// mi_res_id / object_id.) The answer MSAL needs: { access_token, expires_on, resource, token_type }
// where expires_on is epoch seconds (a number or a numeric string; ISO-8601 is accepted too).
//
// What a test must know (both caches live in module state of the worker, i.e. per test file with
// vitest's default isolation):
//  - MSAL picks the managed-identity SOURCE once per process, on the first getToken, and keeps the
//    endpoint and header it read then (static ManagedIdentityClient.identitySource). Call
//    useManagedIdentityEnv() before the first getToken of the file, and start ONE identity endpoint
//    per test file (beforeAll); a second endpoint started later in the same file is never asked.
//  - MSAL caches tokens per process (static NodeStorage) by client id + resource until 5 min before
//    expires_on; the client pipeline's bearer policy also keeps its token until 2 min before expiry.
//    So after revokeAll() the SDK keeps presenting the revoked token (→ 401 from the ingestion
//    double) for the token's lifetime. To get fresh tokens after a revocation, issue short-lived
//    tokens (setLifetimeSeconds(n) with n ≤ 300: MSAL then never serves from its cache) and build a
//    new client (new pipeline), or ask for a different client id.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const IDENTITY_API_VERSION = '2019-08-01';

export interface TokenRequest {
  readonly status: number;
  readonly resource: string | null;
  readonly clientId: string | null;
  readonly apiVersion: string | null;
  readonly at: number;
}

export interface IssuedToken {
  readonly token: string;
  readonly resource: string;
  readonly clientId: string | null;
  readonly expiresOn: number;
}

export interface IdentityOptions {
  /** Lifetime of issued tokens (default 3600 s). ≤ 300 s makes MSAL fetch a new token every time. */
  readonly lifetimeSeconds?: number;
  /** The X-IDENTITY-HEADER secret (default: random). */
  readonly header?: string;
}

export interface IdentityHandle {
  /** The value for IDENTITY_ENDPOINT: `http://127.0.0.1:<port>/msi/token`. */
  readonly endpoint: string;
  /** The value for IDENTITY_HEADER. */
  readonly header: string;
  /** Every request, including refused ones. */
  readonly requests: TokenRequest[];
  /** Every token issued (revoked ones included). */
  readonly issuedTokens: readonly IssuedToken[];
  /** Whether `token` was issued here, is not revoked and has not expired. */
  validToken(token: string): boolean;
  /** Revoke every token issued so far (the ingestion endpoint then answers 401 for them). */
  revokeAll(): void;
  /** Same as revokeAll(): every token issued so far is treated as expired. */
  expireAll(): void;
  /** Lifetime of tokens issued from now on. */
  setLifetimeSeconds(seconds: number): void;
  /** Answer the next `count` token requests with this HTTP status (e.g. 500) instead of a token; replaces earlier failNext calls (count 0 clears). */
  failNext(status: number, count?: number): void;
  close(): Promise<void>;
}

export async function startIdentityEndpoint(options: IdentityOptions = {}): Promise<IdentityHandle> {
  const header = options.header ?? randomBytes(16).toString('hex');
  let lifetime = options.lifetimeSeconds ?? 3600;
  const issued: IssuedToken[] = [];
  const valid = new Map<string, number>(); // token → expiresOn (epoch s)
  const requests: TokenRequest[] = [];
  const failures: number[] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const resource = url.searchParams.get('resource');
    const clientId = url.searchParams.get('client_id');
    const apiVersion = url.searchParams.get('api-version');
    const reply = (status: number, body: unknown): void => {
      requests.push({ status, resource, clientId, apiVersion, at: Date.now() });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' || url.pathname !== '/msi/token') return reply(404, { error: 'not_found', error_description: `${req.method} ${url.pathname}` });
    if (req.headers['x-identity-header'] === undefined) return reply(400, { error: 'invalid_request', error_description: 'X-IDENTITY-HEADER is required' });
    if (req.headers['x-identity-header'] !== header) return reply(401, { error: 'unauthorized', error_description: 'X-IDENTITY-HEADER does not match' });
    if (apiVersion !== IDENTITY_API_VERSION) return reply(400, { error: 'invalid_request', error_description: `api-version must be ${IDENTITY_API_VERSION}` });
    if (!resource) return reply(400, { error: 'invalid_request', error_description: 'resource is required' });
    const failure = failures.shift();
    if (failure !== undefined) return reply(failure, { error: 'injected_failure', error_description: `injected HTTP ${failure}` });
    const token = `mi-test-${randomBytes(18).toString('base64url')}`;
    const expiresOn = Math.floor(Date.now() / 1000) + lifetime;
    issued.push({ token, resource, clientId, expiresOn });
    valid.set(token, expiresOn);
    reply(200, {
      access_token: token,
      expires_on: String(expiresOn),
      resource,
      token_type: 'Bearer',
      client_id: clientId ?? '00000000-0000-0000-0000-000000000000',
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const revoke = (): void => valid.clear();
  return {
    endpoint: `http://127.0.0.1:${port}/msi/token`,
    header,
    requests,
    issuedTokens: issued,
    validToken: (t) => (valid.get(t) ?? 0) * 1000 > Date.now(),
    revokeAll: revoke,
    expireAll: revoke,
    setLifetimeSeconds: (s) => void (lifetime = s),
    failNext: (status, count = 1) => void failures.splice(0, failures.length, ...Array<number>(count).fill(status)),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Variables that would make @azure/identity or MSAL choose another credential or identity source
 * before the App Service endpoint (Environment/Workload credentials, Service Fabric, Azure ML,
 * Cloud Shell, Arc, AKS token exchange) or change the identity it asks for.
 */
export const CONFLICTING_CREDENTIAL_ENV = [
  'MSI_ENDPOINT', 'MSI_SECRET', 'IDENTITY_SERVER_THUMBPRINT', 'IMDS_ENDPOINT', 'AZURE_POD_IDENTITY_AUTHORITY_HOST',
  'AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_CLIENT_CERTIFICATE_PASSWORD',
  'AZURE_FEDERATED_TOKEN_FILE', 'AZURE_USERNAME', 'AZURE_PASSWORD', 'AZURE_TOKEN_CREDENTIALS', 'AZURE_AUTHORITY_HOST',
] as const;

/**
 * Points @azure/identity at the endpoint (IDENTITY_ENDPOINT, IDENTITY_HEADER), removes the
 * variables of CONFLICTING_CREDENTIAL_ENV, and returns a function that restores every touched
 * variable (idempotent). Call it before the first getToken of the test file (see the header note).
 */
export function useManagedIdentityEnv(handle: Pick<IdentityHandle, 'endpoint' | 'header'>, env: NodeJS.ProcessEnv = process.env): () => void {
  const names = ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER', ...CONFLICTING_CREDENTIAL_ENV];
  const saved = new Map(names.map((n) => [n, env[n]]));
  for (const n of CONFLICTING_CREDENTIAL_ENV) delete env[n];
  env.IDENTITY_ENDPOINT = handle.endpoint;
  env.IDENTITY_HEADER = handle.header;
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    for (const [n, v] of saved) {
      if (v === undefined) delete env[n];
      else env[n] = v;
    }
  };
}
