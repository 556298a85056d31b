import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeLine, toRecord, toRecordBySchema, type RecordResult } from '../../src/read/diagnostic-record.js';
import { azureLine, azureRecord } from '../helpers/azure-record.js';

function messages(results: readonly RecordResult[]): (string | null)[] {
  return results.map((r) => (r.ok ? r.record.message : null));
}

describe('decodeLine', () => {
  const good = azureLine({ message: 'x-LOG:  hello' });

  it.each([
    { name: 'Azure line with leading "{ "', text: good, want: ['x-LOG:  hello'] },
    { name: 'trailing CR is whitespace to JSON', text: good + '\r', want: ['x-LOG:  hello'] },
    { name: 'UTF-8 BOM', text: '\ufeff' + good, want: ['x-LOG:  hello'] },
    { name: 'blank line', text: '   ', want: [] },
    { name: 'legacy wrapper on one line', text: JSON.stringify({ records: [azureRecord({ message: 'a' }), azureRecord({ message: 'b' })] }), want: ['a', 'b'] },
    { name: 'legacy wrapper head with first record', text: `{"records":[${JSON.stringify(azureRecord({ message: 'h' }))},`, want: ['h'] },
    { name: 'legacy wrapper middle record', text: `${JSON.stringify(azureRecord({ message: 'm' }))},`, want: ['m'] },
    { name: 'legacy wrapper last record and tail', text: `${JSON.stringify(azureRecord({ message: 't' }))}]}`, want: ['t'] },
    { name: 'legacy wrapper bare tail', text: ']}', want: [] },
  ])('$name', ({ text, want }) => {
    const r = decodeLine(text);
    expect(r.ok).toBe(true);
    if (r.ok) expect(messages(r.records)).toEqual(want);
  });

  it('keeps the record fields the pipeline uses', () => {
    const r = decodeLine(azureLine({ message: 'm', errorLevel: 'FATAL', sqlerrcode: '28P01', processId: 77, detail: 'd', server: 'srv' }));
    expect(r).toMatchObject({
      ok: true,
      records: [{ ok: true, record: { message: 'm', errorLevel: 'FATAL', sqlerrcode: '28P01', processId: 77, detail: 'd', logicalServerName: 'srv', backendType: 'client backend', timestamp: '2026-07-02 03:00:06.467 UTC', time: '2026-07-02T03:00:06.467Z' } }],
    });
  });

  it('accepts a processId written as a string', () => {
    const r = decodeLine(JSON.stringify({ category: 'PostgreSQLLogs', properties: { message: 'm', processId: '123' } }));
    const first = r.ok ? r.records[0] : undefined;
    expect(first?.ok && first.record.processId).toBe(123);
  });

  it.each([
    { name: 'another category', text: azureLine({ message: 'm', category: 'PostgreSQLFlexSessions' }), kind: 'other-category' },
    { name: 'no properties.message', text: JSON.stringify({ category: 'PostgreSQLLogs', properties: { errorLevel: 'LOG' } }), kind: 'invalid' },
    { name: 'no category', text: JSON.stringify({ properties: { message: 'm' } }), kind: 'invalid' },
    { name: 'a JSON array', text: '[1,2]', kind: 'invalid' },
    { name: 'a JSON number', text: '42', kind: 'invalid' },
    { name: 'message of the wrong type', text: JSON.stringify({ category: 'PostgreSQLLogs', properties: { message: 7 } }), kind: 'invalid' },
  ])('classifies $name', ({ text, kind }) => {
    const r = decodeLine(text);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.records[0]).toMatchObject({ ok: false, kind });
  });

  it.each([
    { name: 'truncated JSON', text: good.slice(0, 80) },
    { name: 'junk', text: 'hello world' },
    { name: 'binary', text: '\u0000\u0001\u0002\u00ff' },
  ])('rejects $name with a reason', ({ text }) => {
    const r = decodeLine(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/not valid JSON/);
  });
});

describe('toRecord fast path', () => {
  // Values a field of a parsed JSON line can hold: every JSON type, and absence.
  const anyField = fc.oneof(fc.constant(undefined), fc.constant(null), fc.string({ maxLength: 4 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant({}), fc.constant([]));
  const stringField = fc.oneof(fc.constant(undefined), fc.constant(null), fc.string({ maxLength: 4 }));
  const propertyKeys = ['message', 'timestamp', 'processId', 'errorLevel', 'sqlerrcode', 'backend_type', 'detail', 'context', 'extra'] as const;
  const recordKeys = ['category', 'properties', 'time', 'resourceId', 'operationName', 'LogicalServerName', 'ServerType', 'ServerVersion', 'Region', 'location', 'ReplicaRole', 'extra'] as const;
  const validProps = fc.record({
    message: fc.string({ maxLength: 4 }), timestamp: stringField, processId: fc.oneof(stringField, fc.integer()), errorLevel: stringField, sqlerrcode: stringField,
    backend_type: stringField, detail: stringField, context: stringField,
  });
  const validRecord = fc.record({
    category: fc.constantFrom('PostgreSQLLogs', 'PostgreSQLLogs', 'PostgreSQLFlexSessions'), properties: validProps,
    time: stringField, resourceId: stringField, operationName: stringField, LogicalServerName: stringField, ServerType: stringField, ServerVersion: stringField, Region: stringField, location: stringField, ReplicaRole: stringField,
  });
  // A valid record with at most one field of the record and one of its properties set to anything.
  const nearlyValid = fc
    .tuple(validRecord, fc.option(fc.tuple(fc.constantFrom(...recordKeys), anyField)), fc.option(fc.tuple(fc.constantFrom(...propertyKeys), anyField)))
    .map(([rec, top, prop]) => {
      const out: Record<string, unknown> = { ...rec, properties: { ...rec.properties } };
      if (prop) (out.properties as Record<string, unknown>)[prop[0]] = prop[1];
      if (top) out[top[0]] = top[1];
      return out;
    });

  it('gives exactly what the zod schemas give, for any record-like or JSON value', () => {
    fc.assert(
      fc.property(fc.oneof(nearlyValid, nearlyValid, fc.jsonValue()), (value) => {
        const json = JSON.parse(JSON.stringify(value ?? null)) as unknown; // as a blob line holds it
        expect(toRecord(json)).toEqual(toRecordBySchema(json));
      }),
      { numRuns: 5000 },
    );
  });
});
