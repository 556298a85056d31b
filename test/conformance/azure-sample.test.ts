// The real (anonymised) Flexible Server blob in ../shared/samples: no UNPARSED rows, and the
// CONNECT / DISCONNECT / AUTH_FAILURE rows an independent reading of the raw records expects.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../helpers/run-pipeline.js';
import { requireOrSkip } from '../helpers/tools.js';

const SAMPLE = join(import.meta.dirname, '..', '..', '..', 'shared', 'samples', 'azure-flexible-postgresqllogs-PT1H.json');

interface Raw {
  offset: number;
  session: string;
  level: string;
  sqlerrcode: string;
  message: string;
}

/** Independent reading: JSON.parse each line, split the default prefix `%t-%c-` by hand. */
function readRaw(text: string): Raw[] {
  const out: Raw[] = [];
  let offset = 0;
  for (const line of text.split('\n')) {
    if (line.trim()) {
      const r = JSON.parse(line) as { properties: { errorLevel: string; sqlerrcode: string; message: string } };
      const m = r.properties.message;
      const afterTime = m.indexOf(' UTC-') + 5;
      const session = m.slice(afterTime, m.indexOf('-', afterTime));
      const marker = `${r.properties.errorLevel}:  `;
      out.push({ offset, session, level: r.properties.errorLevel, sqlerrcode: r.properties.sqlerrcode, message: m.slice(m.indexOf(marker) + marker.length) });
    }
    offset += Buffer.byteLength(line) + 1;
  }
  return out;
}

const kv = (message: string, key: string): string | null => new RegExp(`\\b${key}=(\\S+)`).exec(message)?.[1] ?? null;

describe('real Azure Flexible Server sample', () => {
  it('parses with no UNPARSED rows and the expected session rows', async (ctx) => {
    requireOrSkip(ctx, existsSync(SAMPLE), `real sample not found at ${SAMPLE}`);
    const text = readFileSync(SAMPLE, 'utf8');
    const raw = readRaw(text);
    const { rows, pipeline } = await rowsOf(text, {}, 'resourceId=/X/PT1H.json');

    expect(pipeline.stats.records).toBe(raw.length);
    expect(pipeline.stats.rows.UNPARSED).toBe(0);
    expect(pipeline.stats.prefixMismatches).toBe(0);

    const byOffset = new Map(raw.map((r) => [r.offset, r]));
    const connects = raw.filter((r) => r.message.startsWith('connection authorized:'));
    const disconnects = raw.filter((r) => r.message.startsWith('disconnection:'));
    const authFailures = raw.filter((r) => r.level === 'FATAL' && ['28000', '28P01'].includes(r.sqlerrcode));
    expect(connects.length).toBeGreaterThan(100);
    expect(authFailures.length).toBeGreaterThan(0);

    expect(rows.filter((r) => r.EventType === 'CONNECT').map((r) => r.SourceOffset)).toEqual(connects.map((r) => r.offset));
    expect(rows.filter((r) => r.EventType === 'DISCONNECT').map((r) => r.SourceOffset)).toEqual(disconnects.map((r) => r.offset));
    expect(rows.filter((r) => r.EventType === 'AUTH_FAILURE').map((r) => r.SourceOffset)).toEqual(authFailures.map((r) => r.offset));
    expect(rows.filter((r) => !['CONNECT', 'DISCONNECT', 'AUTH_FAILURE'].includes(r.EventType!))).toEqual([]);

    // Session ids from `connection received` lines give every session its client host and port.
    const received = new Map(raw.filter((r) => r.message.startsWith('connection received:')).map((r) => [r.session, r.message]));
    for (const row of rows) {
      const r = byOffset.get(row.SourceOffset!)!;
      expect(row.SessionId).toBe(r.session);
      expect(row.ServerName).toBe('pgflex-sample');
      if (row.EventType === 'CONNECT' || row.EventType === 'DISCONNECT') {
        expect([row.UserName, row.DatabaseName]).toEqual([kv(r.message, 'user'), kv(r.message, 'database')]);
      }
      if (row.EventType === 'CONNECT') expect(row.ApplicationName).toBe(kv(r.message, 'application_name'));
      const rec = received.get(r.session);
      if (rec) expect([row.ClientHost, row.ClientPort]).toEqual([kv(rec, 'host'), kv(rec, 'port') === null ? null : Number(kv(rec, 'port'))]);
      if (row.EventType === 'AUTH_FAILURE') {
        expect(row.UserName).toBe(/user "([^"]+)"/.exec(r.message)![1]);
        expect(row.ClientHost).toBe(/host "([^"]+)"/.exec(r.message)![1]);
      }
    }
  });
});
