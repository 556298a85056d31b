// The billed-size rule (src/cli/billed-size.ts) and Azure's own tables (source-table-size.ts):
// known rows give byte counts worked out by hand here; null columns cost nothing.
import { describe, expect, it } from 'vitest';
import { billedRecordBytes, billedValueBytes, TENANT_ID_BYTES } from '../../src/cli/billed-size.js';
import { azureDiagnosticsBytes, pgsqlServerLogsBytes, SourceTableEstimate } from '../../src/cli/source-table-size.js';
import { monthlyCosts, monthlyVolumeOf } from '../../src/cli/cost-plans.js';
import { COLUMNS, emptyRow } from '../../src/schema.js';

describe('billed value bytes', () => {
  it.each([
    ['null', null, 'string', 0],
    ['undefined', undefined, 'long', 0],
    ['ASCII string', 'SELECT 1', 'string', 8],
    ['non-ASCII string (é is 2 bytes, € is 3)', 'é€', 'string', 5],
    ['empty string', '', 'string', 0],
    ['datetime: 7 fraction digits', '2026-12-08T01:00:00.123Z', 'dateTime', 28],
    ['int', 14341, 'int', 5],
    ['negative long', -12, 'long', 3],
    ['true', true, 'boolean', 4],
    ['false', false, 'boolean', 5],
    ['dynamic: its JSON text', ['1', "o'brien", null], 'dynamic', 20],
  ] as const)('%s', (_name, value, type, bytes) => {
    expect(billedValueBytes(value, type)).toBe(bytes);
  });
});

describe('billed record bytes', () => {
  it('a PgAudit_CL row: TenantId plus the text of each non-null column, nulls free', () => {
    const row = emptyRow();
    row.TimeGenerated = '2026-12-02T18:25:10.430Z'; // 28
    row.EventType = 'AUDIT'; // 5
    row.ServerName = 'pgfixture'; // 9
    row.ProcessId = 14359; // 5
    row.UserName = 'alice'; // 5
    row.Statement = 'SELECT count(*) FROM accounts'; // 29
    row.StatementId = 5; // 1
    expect(billedRecordBytes(row, COLUMNS)).toBe(TENANT_ID_BYTES + 28 + 5 + 9 + 5 + 5 + 29 + 1);
    expect(billedRecordBytes(emptyRow(), COLUMNS)).toBe(36);
  });

  it('excluded columns (_ResourceId, Type, ...) are not billed', () => {
    const cols = [{ name: '_ResourceId', type: 'string' }, { name: 'Type', type: 'string' }, { name: 'Message', type: 'string' }] as const;
    expect(billedRecordBytes({ _ResourceId: '/SUBSCRIPTIONS/x', Type: 'PgAudit_CL', Message: 'hi' }, cols)).toBe(36 + 2);
  });
});

const RECORD = {
  category: 'PostgreSQLLogs',
  operationName: 'LogEvent',
  location: 'westeurope',
  time: '2026-12-02T18:25:10.430Z',
  resourceId: '/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.DBFORPOSTGRESQL/FLEXIBLESERVERS/PG1',
  LogicalServerName: 'pg1',
  properties: { timestamp: '2026-12-02 18:25:10.430 UTC', processId: 14359, errorLevel: 'LOG', sqlerrcode: '00000', backend_type: 'client backend', message: 'x-LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,SELECT 1,<not logged>' },
};

describe("Azure's own tables, from the source record", () => {
  it('PGSQLServerLogs: TenantId, TimeGenerated, Message, ErrorLevel, ProcessId, SqlerrCode, BackendType, LogicalServerName, Location', () => {
    const message = RECORD.properties.message.length; // 62
    expect(message).toBe(62);
    expect(pgsqlServerLogsBytes(RECORD)).toBe(36 + 28 + 62 + 3 + 5 + 5 + 14 + 3 + 10);
  });

  it('AzureDiagnostics: the documented fields (resource id parts, category, operation, level, message)', () => {
    // SourceSystem Azure 5; SubscriptionId 36; ResourceGroup RG 2; ResourceProvider MICROSOFT.DBFORPOSTGRESQL 25;
    // ResourceType FLEXIBLESERVERS 15; ResourceId 15+36+16+2+11+25+17+3 = 125; Resource PG1 3; Category 14; OperationName 8; errorLevel 3; LogicalServerName 3.
    expect(RECORD.resourceId.length).toBe(125);
    expect(azureDiagnosticsBytes(RECORD)).toBe(36 + 5 + 28 + 36 + 2 + 25 + 15 + 125 + 3 + 14 + 8 + 3 + 62 + 3);
  });

  it('counts PostgreSQLLogs records of JSON Lines and of the legacy wrapper; skips other categories and junk', () => {
    const e = new SourceTableEstimate();
    e.addLine(' ' + JSON.stringify(RECORD));
    e.addLine(JSON.stringify({ records: [RECORD, { ...RECORD, category: 'PostgreSQLFlexSessions' }] }));
    e.addLine('not json');
    e.addLine('');
    expect(e.records).toBe(2);
    expect(e.bytes.PGSQLServerLogs).toBe(2 * pgsqlServerLogsBytes(RECORD));
  });
});

describe('monthly cost', () => {
  it('scales the sample to the month and prices each plan at the list prices to check', () => {
    const m = monthlyCosts({ kind: 'events', events: 2_000_000 }, { records: 1000, analytics: 300_000, bulk: 700_000, runRecords: 0, pgsqlServerLogs: 1_000_000, azureDiagnostics: 2_000_000 }) as {
      gbPerMonth: Record<string, number>;
      usdPerMonth: Record<string, number>;
    };
    // × 2000: ours 2 GB (0.6 analytics + 1.4 bulk), PGSQLServerLogs 2 GB, AzureDiagnostics 4 GB.
    expect(m.gbPerMonth).toMatchObject({ PgAudit_CL_all: 2, PgAudit_CL_tiered_analytics: 0.6, PgAuditBulk_CL_tiered: 1.4, PGSQLServerLogs: 2, AzureDiagnostics: 4 });
    expect(m.usdPerMonth).toEqual({ ours_allAnalytics: 4.6, ours_tieredToBasic: 2.08, ours_tieredToAuxiliary: 1.45, PGSQLServerLogs_analytics: 4.6, PGSQLServerLogs_basic: 1, AzureDiagnostics_analytics: 9.2 });
  });

  it('reads --monthly-gb / --monthly-events', () => {
    expect(monthlyVolumeOf('12.5', undefined)).toEqual({ kind: 'pgsqlServerLogsGB', gb: 12.5 });
    expect(monthlyVolumeOf(undefined, '1000000')).toEqual({ kind: 'events', events: 1e6 });
    expect(monthlyVolumeOf(undefined, undefined)).toBeNull();
    expect(monthlyVolumeOf('1', '2')).toHaveProperty('error');
    expect(monthlyVolumeOf('-1', undefined)).toHaveProperty('error');
  });
});
