// The Logs Query double holds the service's contract against the real LogsQueryClient of
// @azure/monitor-query with a real credential from the managed-identity double: both routes, the
// response shape the client converts (datetime → Date, dynamic → parsed JSON), and the refusals
// (a token for another audience, another workspace, a missing role, an unknown column).
import { ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { LogsQueryClient, LogsQueryResultStatus, type LogsQuerySuccessfulResult } from '@azure/monitor-query';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLUMNS, emptyRow, TABLE_NAME } from '../../src/schema.js';
import { LOGS_QUERY_AUDIENCE, startQueryEndpoint, type QueryHandle } from '../support/logs-query-endpoint.js';
import { startIdentityEndpoint, useManagedIdentityEnv, type IdentityHandle } from '../support/managed-identity-endpoint.js';

const WORKSPACE = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const RESOURCE = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log';
const DAY = { duration: 'P1D' };
const rows = [
  { ...emptyRow(), TimeGenerated: '2026-12-08T01:00:00.000Z', ServerName: 'a', EventType: 'AUDIT', Parameters: ['1', null], Statement: 'SELECT 1' },
  { ...emptyRow(), TimeGenerated: '2026-12-08T01:00:01.000Z', ServerName: 'b', EventType: 'CONNECT' },
];

let identity: IdentityHandle;
let query: QueryHandle;
let restoreEnv: () => void;
let credential: TokenCredential;
beforeAll(async () => {
  identity = await startIdentityEndpoint();
  restoreEnv = useManagedIdentityEnv(identity);
  credential = new ManagedIdentityCredential();
  query = await startQueryEndpoint({
    workspaceId: WORKSPACE,
    resourceId: RESOURCE,
    validateToken: (t) => identity.validToken(t) && identity.issuedTokens.some((i) => i.token === t && i.resource === LOGS_QUERY_AUDIENCE),
    schemas: { [TABLE_NAME]: COLUMNS },
    rows: () => ({ [TABLE_NAME]: rows }),
  });
});
afterAll(async () => {
  restoreEnv?.();
  await Promise.all([query?.close(), identity?.close()]);
});

const client = (c: TokenCredential = credential): LogsQueryClient => new LogsQueryClient(c, { endpoint: query.endpoint, tlsOptions: { ca: query.ca } });

describe('the Logs Query double', () => {
  it('answers by workspace id and by resource id, in the shape the client converts', async () => {
    const q = `${TABLE_NAME} | where ServerName == 'a' | project TimeGenerated, ServerName, Parameters, Statement`;
    for (const result of [await client().queryWorkspace(WORKSPACE, q, DAY), await client().queryResource(RESOURCE, q, DAY)]) {
      expect(result.status).toBe(LogsQueryResultStatus.Success);
      const table = (result as LogsQuerySuccessfulResult).tables[0]!;
      expect(table.columnDescriptors.map((c) => [c.name, c.type])).toEqual([['TimeGenerated', 'datetime'], ['ServerName', 'string'], ['Parameters', 'dynamic'], ['Statement', 'string']]);
      expect(table.rows).toEqual([[new Date('2026-12-08T01:00:00.000Z'), 'a', ['1', null], 'SELECT 1']]);
    }
    const counted = (await client().queryWorkspace(WORKSPACE, `${TABLE_NAME} | summarize Rows = count() by EventType`, DAY)) as LogsQuerySuccessfulResult;
    expect(counted.tables[0]!.rows.sort()).toEqual([['AUDIT', 1], ['CONNECT', 1]]);
  });

  it('refuses a token for another audience (401), another workspace (404), a missing role (403), an unknown column (400)', async () => {
    const monitorToken: TokenCredential = { getToken: () => credential.getToken('https://monitor.azure.com/.default') };
    await expect(client(monitorToken).queryWorkspace(WORKSPACE, TABLE_NAME, DAY)).rejects.toMatchObject({ statusCode: 401 });
    await expect(client().queryWorkspace('11111111-1111-1111-1111-111111111111', TABLE_NAME, DAY)).rejects.toMatchObject({ statusCode: 404, code: 'WorkspaceNotFoundError' });
    await expect(client().queryWorkspace(WORKSPACE, `${TABLE_NAME} | where NoSuchColumn == 1`, DAY)).rejects.toMatchObject({ statusCode: 400, code: 'BadArgumentError' });
    query.forbid();
    try {
      await expect(client().queryWorkspace(WORKSPACE, TABLE_NAME, DAY)).rejects.toMatchObject({ statusCode: 403, code: 'InsufficientAccessError' });
    } finally {
      query.forbid(false);
    }
  });
});
