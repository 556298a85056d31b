// Lines a blob must survive: a good AUDIT record, and junk of every kind (shared by the hostile
// input test and the packed-lines transport test).
import fc from 'fast-check';
import { azureLine } from './azure-record.js';

export const goodLine = (n: number): string =>
  azureLine({ message: `2026-07-02 03:00:06 UTC-6a45d439.${n.toString(16)}-LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,"select ${n}, 'x'",<none>`, processId: n });

export const junkLine = fc.oneof(
  fc.string({ maxLength: 200 }).map((s) => s.replace(/[\r\n]/g, ' ')), // text
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1').replace(/[\r\n]/g, ' ')), // binary
  fc.nat(400).map((n) => goodLine(99_999).slice(0, n % goodLine(99_999).length)), // truncated JSON
  fc.constant(azureLine({ message: 'x', category: 'PostgreSQLFlexSessions' })), // wrong category
  fc.constant(JSON.stringify({ category: 'PostgreSQLLogs' })), // missing properties
  fc.constant(JSON.stringify({ category: 'PostgreSQLLogs', properties: { message: null } })),
  fc.constant('{"records":['),
  fc.constant('null'),
  fc.constant(''),
);
