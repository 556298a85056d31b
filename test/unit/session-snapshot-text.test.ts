// SessionTable.snapshotText() reuses the JSON of sessions that did not change since the last call
// (src/enrich/sessions.ts). Whatever happens between calls — lookups, new sessions, a pid taken
// over by a new session, statements remembered past the budget, ends, evictions — the text must
// be exactly JSON.stringify(snapshot()).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SessionTable } from '../../src/enrich/sessions.js';

const op = fc.record({
  kind: fc.constantFrom('find', 'upsert', 'start', 'end', 'remember', 'set', 'snapshot'),
  sessionId: fc.option(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { nil: null }),
  processId: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
  chars: fc.nat(60),
});

describe('SessionTable.snapshotText', () => {
  it('is JSON.stringify(snapshot()) after any sequence of changes', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const t = new SessionTable(4, 100);
        let id = 0;
        for (const o of ops) {
          const key = { server: 'srv', sessionId: o.sessionId, processId: o.processId };
          if (o.kind === 'snapshot') expect(t.snapshotText().json).toBe(JSON.stringify(t.snapshot()));
          else if (o.kind === 'find') t.find(key);
          else if (o.kind === 'upsert') t.upsert(key);
          else if (o.kind === 'start') t.start(key);
          else if (o.kind === 'end') t.end(key);
          else {
            const s = t.upsert(key);
            if (s && o.kind === 'set') s.userName = `u${o.chars}`;
            if (s && o.kind === 'remember') t.remember(s, { statementId: ++id, statement: 'x'.repeat(o.chars), parameter: '', parameters: null, redacted: false });
          }
        }
        const text = t.snapshotText();
        expect(text.json).toBe(JSON.stringify(t.snapshot()));
        expect(text.count).toBe(t.size);
      }),
      { numRuns: 300 },
    );
  });
});
