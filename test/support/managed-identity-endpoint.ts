// A local stand-in for the App Service / Functions managed-identity endpoint, so the real
// @azure/identity credential code runs: GET ?api-version=2019-08-01&resource=…[&client_id=…] with
// the X-IDENTITY-HEADER secret; answers { access_token, expires_on, resource, token_type }.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenRequest {
  readonly resource: string | null;
  readonly clientId: string | null;
}

export interface IdentityHandle {
  readonly endpoint: string;
  readonly header: string;
  readonly requests: TokenRequest[];
  /** Whether `token` was issued by this endpoint and not revoked. */
  validToken(token: string): boolean;
  /** Forget every token issued so far (the ingestion endpoint then answers 401). */
  revokeAll(): void;
  close(): Promise<void>;
}

export async function startIdentityEndpoint(options: { lifetimeSeconds?: number } = {}): Promise<IdentityHandle> {
  const header = randomBytes(16).toString('hex');
  const issued = new Set<string>();
  const requests: TokenRequest[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return reply(405, { error: 'method_not_allowed' });
    if (req.headers['x-identity-header'] !== header) return reply(401, { error: 'unauthorized', error_description: 'missing or wrong X-IDENTITY-HEADER' });
    if (url.searchParams.get('api-version') !== '2019-08-01') return reply(400, { error: 'invalid_request', error_description: 'api-version must be 2019-08-01' });
    const resource = url.searchParams.get('resource');
    requests.push({ resource, clientId: url.searchParams.get('client_id') });
    if (!resource) return reply(400, { error: 'invalid_request', error_description: 'resource is required' });
    const token = `test-token-${randomBytes(12).toString('hex')}`;
    issued.add(token);
    reply(200, {
      access_token: token,
      expires_on: String(Math.floor(Date.now() / 1000) + (options.lifetimeSeconds ?? 3600)),
      resource,
      token_type: 'Bearer',
      client_id: url.searchParams.get('client_id') ?? '00000000-0000-0000-0000-000000000000',
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/msi/token`,
    header,
    requests,
    validToken: (t) => issued.has(t),
    revokeAll: () => issued.clear(),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const OTHER_CREDENTIAL_ENV = ['MSI_ENDPOINT', 'MSI_SECRET', 'IDENTITY_SERVER_THUMBPRINT', 'IMDS_ENDPOINT', 'AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_TENANT_ID', 'AZURE_FEDERATED_TOKEN_FILE', 'AZURE_USERNAME'];

/**
 * Points @azure/identity at the endpoint (IDENTITY_ENDPOINT/IDENTITY_HEADER) and hides other
 * credential sources; returns a function restoring the environment. Set it before creating a
 * credential: MSAL reads these variables when it picks its managed-identity source.
 */
export function useManagedIdentityEnv(handle: IdentityHandle, env: NodeJS.ProcessEnv = process.env): () => void {
  const names = ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER', ...OTHER_CREDENTIAL_ENV];
  const saved = Object.fromEntries(names.map((n) => [n, env[n]]));
  for (const n of OTHER_CREDENTIAL_ENV) delete env[n];
  env.IDENTITY_ENDPOINT = handle.endpoint;
  env.IDENTITY_HEADER = handle.header;
  return () => {
    for (const [n, v] of Object.entries(saved)) {
      if (v === undefined) delete env[n];
      else env[n] = v;
    }
  };
}
