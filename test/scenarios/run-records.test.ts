// Run records (PgAuditIngest_CL) as the local Logs Ingestion endpoint receives them on their own
// stream, which enforces their columns: a blob record per shipped range with exact row counts, a
// heartbeat also for an idle run, error records for a 401 and for a credential that refuses;
// records that cannot be sent go to the log with their fields. Filters are counted, and the
// counts add up; a row too large for one request is cut and delivered.
import { describe, expect, it } from 'vitest';
import { RUN_COLUMN_NAMES, RUN_STREAM_NAME } from '../../src/run-record-schema.js';
import { STREAM_NAME } from '../../src/schema.js';
import { planFromListing, planLookback } from '../../src/ship/plan.js';
import { recordedRun } from '../../src/ship/recorded-run.js';
import { newRunInfo } from '../../src/ship/run-records.js';
import { azureLine } from '../helpers/azure-record.js';
import { append, appendBlob, scenario, stackPerFile, type Scenario } from './harness.js';
import { bytesOf, hourBlob, serverPath, SessionScript } from './workload.js';

// Short-lived tokens: MSAL asks the identity endpoint every time, so it can be made to refuse.
const stack = stackPerFile({ identity: { lifetimeSeconds: 60 } });
const HOUR = new Date('2026-11-14T09:00:00Z');
const at = (minutes: number): Date => new Date(HOUR.getTime() + minutes * 60_000);
const records = (runId: string) => stack.ingestion.acceptedOn(RUN_STREAM_NAME).filter((r) => r.RunId === runId);

async function ship(sc: Scenario, server: string, trigger: 'ship' | 'sweep' = 'ship') {
  const plan = trigger === 'ship' ? await planFromListing(sc.ctx.deps.source, sc.ctx.store, serverPath(server), at(30), sc.ctx.config.lookbackMs) : await planLookback(sc.ctx.deps.source, sc.ctx.store, at(30), sc.ctx.config.lookbackMs, [serverPath(server)]);
  const info = newRunInfo(trigger);
  return { info, ...(await recordedRun(sc.ctx, plan, info)) };
}

describe('run records', () => {
  it('one blob record per checkpoint whose RowsShipped is exactly what the service accepted, then a heartbeat', async () => {
    const server = 'pg-rr-blob';
    const sc = await scenario(stack, { now: () => at(30), flushBytes: 40_000 });
    const s = new SessionScript('6g1.1', 661, 'zoe', 'ops', at(1), server, 300);
    await append(await appendBlob(stack, hourBlob(server, HOUR)), bytesOf([...s.connect(), ...s.audit(400), ...s.noise(3), ...s.disconnect()]));
    const { info, summary, delivery } = await ship(sc, server);
    const got = records(info.runId);
    expect(delivery).toEqual({ sent: got.length, failed: 0 });
    for (const r of got) expect(Object.keys(r)).toEqual(RUN_COLUMN_NAMES);
    const blobs = got.filter((r) => r.RecordType === 'blob');
    expect(blobs.length).toBeGreaterThan(2);
    const rows = stack.ingestion.accepted.filter((r) => r.ServerName === server);
    for (const b of blobs) {
      const inRange = rows.filter((r) => (r.SourceOffset as number) >= (b.StartOffset as number) && (r.SourceOffset as number) < (b.EndOffset as number));
      expect(b.RowsShipped, `[${String(b.StartOffset)}, ${String(b.EndOffset)})`).toBe(inRange.length);
    }
    // Ranges follow each other without a gap or an overlap, from 0 to the blob's end.
    expect(blobs.map((b) => b.StartOffset)).toEqual([0, ...blobs.slice(0, -1).map((b) => b.EndOffset)]);
    expect(blobs.at(-1)!.EndOffset).toBe(blobs.at(-1)!.BlobLength);
    expect(blobs.reduce((n, b) => n + (b.RowsDropped as number), 0)).toBe(summary.stats.dropped);
    const [heartbeat, ...more] = got.filter((r) => r.RecordType === 'heartbeat');
    expect(more).toEqual([]);
    // A run of one server names it (the lag alert is per server).
    expect(blobs[0]!.ServerName).toBeTruthy();
    expect(heartbeat).toMatchObject({ Trigger: 'ship', ServerName: blobs[0]!.ServerName, ServersSeen: 1, BlobsChecked: 1, BytesBehind: 0, RowsShipped: rows.length, RowsDeadLettered: 0, AppVersion: info.appVersion });
  });

  it('an idle run still writes its heartbeat', async () => {
    const server = 'pg-rr-idle';
    const sc = await scenario(stack, { now: () => at(30) });
    const s = new SessionScript('6g2.1', 662, 'amy', 'ops', at(1), server);
    await append(await appendBlob(stack, hourBlob(server, HOUR)), bytesOf([...s.connect(), ...s.audit(2)]));
    await ship(sc, server, 'sweep');
    const idle = await ship(sc, server, 'sweep');
    expect(idle.summary.blobs).toEqual([]);
    expect(records(idle.info.runId).map((r) => [r.RecordType, r.Trigger, r.ServersSeen, r.BlobsChecked, r.BytesBehind, r.RowsShipped])).toEqual([['heartbeat', 'sweep', 1, 1, 0, 0]]);
  });

  it('a 401 from ingestion: an error record with its code, ServerName and the fix', async () => {
    const server = 'pg-rr-401';
    const sc = await scenario(stack, { now: () => at(30) });
    const s = new SessionScript('6g3.1', 663, 'bea', 'ops', at(1), server);
    await append(await appendBlob(stack, hourBlob(server, HOUR)), bytesOf([...s.connect(), ...s.audit(2)]));
    stack.ingestion.setOnRequest((_rows, _i, c) => (c.stream === STREAM_NAME ? { status: 401 } : null));
    const { info } = await ship(sc, server);
    stack.ingestion.setOnRequest(undefined);
    const errors = records(info.runId).filter((r) => r.RecordType === 'error');
    expect(errors.map((r) => [r.ErrorCode, r.ServerName])).toEqual([['IngestionUnauthorized', server]]);
    expect(errors[0]!.ErrorMessage).toMatch(/HTTP 401.*check the managed identity/);
  });

  it('a credential that cannot give a token: the run stops (IngestionNoToken), and its error record arrives once tokens flow again', async () => {
    const server = 'pg-rr-token';
    const sc = await scenario(stack, { now: () => at(30), uploadAttempts: 2, sinkOptions: { retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20, retryStatuses: [408, 429] } } });
    const s = new SessionScript('6g4.1', 664, 'cid', 'ops', at(1), server);
    await append(await appendBlob(stack, hourBlob(server, HOUR)), bytesOf([...s.connect(), ...s.audit(2)]));
    const asked = stack.identity.requests.length;
    stack.identity.failNext(400, 2); // both attempts of the rows' upload (MSAL retries a 500 itself)
    const { info, summary } = await ship(sc, server);
    expect(stack.identity.requests.length - asked).toBeGreaterThanOrEqual(2);
    expect(summary.errors.map((e) => e.code)).toEqual(['IngestionNoToken']);
    expect(records(info.runId).filter((r) => r.RecordType === 'error').map((r) => r.ErrorCode)).toEqual(['IngestionNoToken']);
    expect(stack.ingestion.accepted.filter((r) => r.ServerName === server)).toEqual([]);
  });

  it('records that cannot be sent (the run stream refuses them) go to the log with their fields', async () => {
    const server = 'pg-rr-logged';
    const sc = await scenario(stack, { now: () => at(30) });
    const s = new SessionScript('6g5.1', 665, 'dan', 'ops', at(1), server);
    await append(await appendBlob(stack, hourBlob(server, HOUR)), bytesOf([...s.connect(), ...s.audit(2)]));
    stack.ingestion.setOnRequest((_rows, _i, c) => (c.stream === RUN_STREAM_NAME ? { status: 403 } : null));
    const { info, delivery } = await ship(sc, server);
    stack.ingestion.setOnRequest(undefined);
    expect(records(info.runId)).toEqual([]);
    const logged = sc.messages.filter((m) => m.startsWith('{"event":"pgaudit-ingest.runRecord"')).map((m) => JSON.parse(m) as Record<string, unknown>);
    expect(logged.map((r) => r.RecordType)).toEqual(['blob', 'heartbeat']);
    expect(delivery.failed).toBe(2);
    for (const r of logged) {
      expect(r).toMatchObject({ delivered: false, RunId: info.runId });
      expect(r.reason).toMatch(/HTTP 403/);
      for (const column of RUN_COLUMN_NAMES) expect(r).toHaveProperty(column);
    }
    // The audit rows were shipped all the same.
    expect(stack.ingestion.accepted.filter((r) => r.ServerName === server).length).toBe(3);
  });
});

describe('filters and row sizes, end to end', () => {
  it('read = shipped + filtered + dropped + dead-lettered, per rule in the summary and the run records', async () => {
    const server = 'pg-rr-filter';
    const sc = await scenario(stack, { now: () => at(30), pipelineOptions: { filters: ['UserName=azuresu', 'Command=/^INSERT$/'] } });
    const internal = new SessionScript('6g6.1', 666, 'azuresu', 'postgres', at(1), server);
    const app = new SessionScript('6g6.2', 667, 'eve', 'shop', at(2), server);
    const insert = azureLine({ message: `2026-11-14 09:03:00 UTC-6g6.2-LOG:  AUDIT: SESSION,4,1,WRITE,INSERT,,,insert into t values (1),<none>`, processId: 667, server });
    const lines = [...internal.connect(), ...internal.audit(5), ...app.connect(), ...app.audit(3), insert, ...app.noise(2)];
    await append(await appendBlob(stack, hourBlob(server, HOUR)), bytesOf(lines));
    stack.ingestion.setOnRequest((rows, _i, c) => (c.stream === STREAM_NAME && rows.some((r) => r.ServerName === server && r.StatementId === 3 && r.UserName === 'eve') ? { status: 400 } : null));
    const { info, summary } = await ship(sc, server);
    stack.ingestion.setOnRequest(undefined);
    const st = summary.stats;
    expect(st.filteredByRule).toEqual({ 'UserName=azuresu': 6, 'Command=/^INSERT$/': 1 });
    // Every record decoded is a row (shipped or dead-lettered), a filtered row, or a dropped line.
    expect(st.records).toBe(summary.shipped + summary.deadLettered + st.filtered + st.dropped);
    const heartbeat = records(info.runId).find((r) => r.RecordType === 'heartbeat')!;
    expect(heartbeat).toMatchObject({ RowsShipped: summary.shipped, RowsDeadLettered: summary.deadLettered, RowsFiltered: 7, RowsDropped: st.dropped, RowsFilteredByRule: st.filteredByRule });
  });

  it('a row of 200 parameters of 10 KB is cut to fit one request and delivered, not dead-lettered', async () => {
    const server = 'pg-rr-huge';
    const sc = await scenario(stack, { now: () => at(30) });
    const values = Array.from({ length: 200 }, (_, i) => `v${i}`.padEnd(10_000, 'x'));
    const parameter = `"${values.map((v) => `""${v}""`).join(',')}"`;
    const line = azureLine({ message: `2026-11-14 09:04:00 UTC-6g7.1-LOG:  AUDIT: SESSION,1,1,WRITE,INSERT,,,"insert into t values ($1 … $200)",${parameter}`, processId: 668, server });
    await append(await appendBlob(stack, hourBlob(server, HOUR)), bytesOf([line]));
    const { summary } = await ship(sc, server);
    expect([summary.shipped, summary.deadLettered, summary.stats.cutRows]).toEqual([1, 0, 1]);
    const [row] = stack.ingestion.accepted.filter((r) => r.ServerName === server);
    expect(row!.TruncatedColumns).toEqual(['Parameters']);
    expect(Buffer.byteLength(JSON.stringify(row))).toBeLessThan(1_000_000);
  });
});
