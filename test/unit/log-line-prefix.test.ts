import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileLogLinePrefix, unknownEscapes } from '../../src/parse/log-line-prefix.js';
import type { PrefixFields } from '../../src/parse/prefix-escapes.js';

type Want = Partial<PrefixFields> & { level?: string; message?: string };

function parse(prefix: string, text: string, level: string | null = 'LOG'): (Partial<PrefixFields> & { level: string; message: string }) | null {
  const m = compileLogLinePrefix(prefix).match(text, level);
  if (!m) return null;
  return { ...m.fields, level: m.level, message: text.slice(m.messageStart) };
}

describe('compileLogLinePrefix', () => {
  const cases: { name: string; prefix: string; text: string; level?: string | null; want: Want }[] = [
    {
      name: 'Flexible Server default %t-%c-',
      prefix: '%t-%c-',
      text: '2026-07-02 03:00:06 UTC-6a45d422.1513f3-LOG:  disconnection: session time: 0:00:20.038',
      want: { timestamp: '2026-07-02 03:00:06 UTC', sessionId: '6a45d422.1513f3', level: 'LOG', message: 'disconnection: session time: 0:00:20.038' },
    },
    {
      name: 'AWS RDS style with %r, %u@%d, [%p]',
      prefix: '%t:%r:%u@%d:[%p]:',
      text: '2024-05-01 10:00:00 UTC:10.0.0.5(51234):app_user@sales:[4711]:LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,select 1,<none>',
      want: { clientHost: '10.0.0.5', clientPort: 51234, userName: 'app_user', databaseName: 'sales', processId: 4711, message: 'AUDIT: SESSION,1,1,READ,SELECT,,,select 1,<none>' },
    },
    {
      // The time zone of %t never holds a colon; it must not swallow the colons of an IPv6 %r.
      name: 'RDS style for an IPv6 client (::1)',
      prefix: '%t:%r:%u@%d:[%p]:',
      text: '2024-05-01 10:00:00 UTC:::1(51234):app_user@sales:[4711]:LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,select 1,<none>',
      want: { timestamp: '2024-05-01 10:00:00 UTC', clientHost: '::1', clientPort: 51234, userName: 'app_user', databaseName: 'sales', processId: 4711 },
    },
    {
      name: 'RDS style for an IPv6 client (2001:db8::5) with %m',
      prefix: '%m:%r:%u@%d:[%p]:',
      text: '2024-05-01 10:00:00.123 UTC:2001:db8::5(5432):app_user@sales:[4711]:LOG:  connection authorized: user=app_user database=sales',
      want: { timestamp: '2024-05-01 10:00:00.123 UTC', clientHost: '2001:db8::5', clientPort: 5432, userName: 'app_user' },
    },
    {
      name: 'numeric time zone abbreviation (+0530) before a colon',
      prefix: '%t:%h:',
      text: '2024-05-01 10:00:00 +0530:fe80::1:LOG:  checkpoint starting: time',
      want: { timestamp: '2024-05-01 10:00:00 +0530', clientHost: 'fe80::1' },
    },
    {
      name: 'RDS style for a Unix-socket client ([local]) and unknown user',
      prefix: '%t:%r:%u@%d:[%p]:',
      text: '2024-05-01 10:00:00 UTC:[local]:[unknown]@[unknown]:[99]:LOG:  connection received: host=[local]',
      want: { clientHost: '[local]', clientPort: null, userName: null, databaseName: null, processId: 99 },
    },
    {
      name: 'RDS style for a background process (empty %r %u %d)',
      prefix: '%t:%r:%u@%d:[%p]:',
      text: '2024-05-01 10:00:00 UTC::@:[12]:LOG:  checkpoint starting: time',
      want: { clientHost: null, userName: null, databaseName: null, processId: 12, message: 'checkpoint starting: time' },
    },
    {
      name: 'IPv6 client in %r',
      prefix: '%r %u ',
      text: '2001:db8::1(6000) bob LOG:  x',
      want: { clientHost: '2001:db8::1', clientPort: 6000, userName: 'bob' },
    },
    {
      name: 'Debian %m [%p] %q%u@%d for a session',
      prefix: '%m [%p] %q%u@%d ',
      text: '2024-05-01 10:00:00.123 UTC [321] alice@shop ERROR:  relation "nope" does not exist',
      level: 'ERROR',
      want: { timestamp: '2024-05-01 10:00:00.123 UTC', processId: 321, userName: 'alice', databaseName: 'shop', level: 'ERROR' },
    },
    {
      name: 'Debian %q stops the prefix for a background process',
      prefix: '%m [%p] %q%u@%d ',
      text: '2024-05-01 10:00:00.123 UTC [55] LOG:  checkpoint complete',
      want: { processId: 55, userName: null, databaseName: null, message: 'checkpoint complete' },
    },
    {
      name: 'application name with commas, spaces, quotes and a colon',
      prefix: '%m:%a:%u:',
      text: '2024-05-01 10:00:00.123 UTC:etl "nightly", v2 run:bob:LOG:  AUDIT: x',
      want: { applicationName: 'etl "nightly", v2 run', userName: 'bob', message: 'AUDIT: x' },
    },
    {
      name: 'padding both ways',
      prefix: '%-12a|%8u|%-6d|%5p|%l: ',
      text: 'psql        |     bob|db    |  777|3: LOG:  x',
      want: { applicationName: 'psql', userName: 'bob', databaseName: 'db', processId: 777, sessionLine: 3 },
    },
    {
      name: 'padded empty values of a background process',
      prefix: '%-12a|%8u|%5p ',
      text: '            |        |   12 LOG:  x',
      want: { applicationName: null, userName: null, processId: 12 },
    },
    {
      name: 'every escape at once',
      prefix: '%m|%n|%p|%P|%c|%l|%s|%v|%x|%e|%i|%b|%Q|%q%u|%d|%a|%r|%h|%% ',
      text:
        '2024-05-01 10:00:00.123 UTC|1714557600.123|4711||66321f20.1267|7|2024-05-01 09:59:00 UTC|3/17|742|00000|INSERT|client backend|-123456789|bob|db|psql|10.1.2.3(5555)|10.1.2.3|% LOG:  x',
      want: {
        timestamp: '2024-05-01 10:00:00.123 UTC', epoch: '1714557600.123', processId: 4711, leaderProcessId: null, sessionId: '66321f20.1267',
        sessionLine: 7, sessionStart: '2024-05-01 09:59:00 UTC', virtualTransactionId: '3/17', transactionId: '742', sqlState: '00000',
        commandTag: 'INSERT', backendType: 'client backend', queryId: '-123456789', userName: 'bob', databaseName: 'db', applicationName: 'psql',
        clientHost: '10.1.2.3', clientPort: 5555,
      },
    },
    {
      name: 'unknown escapes print nothing',
      prefix: '%z[%p]',
      text: '[5]LOG:  x',
      want: { processId: 5 },
    },
    {
      name: 'the level is found even when the record level is unknown',
      prefix: '%t-%c-',
      text: '2026-07-02 03:00:06 UTC-6a45d422.1513f3-WARNING:  careful',
      level: null,
      want: { level: 'WARNING', message: 'careful' },
    },
    {
      name: 'a multi-line message keeps its lines',
      prefix: '%t-%c-',
      text: '2026-07-02 03:00:06 UTC-1.2-LOG:  AUDIT: SESSION,1,1,DDL,CREATE TABLE,TABLE,t,"CREATE TABLE t (\n\tid int)",<none>',
      want: { message: 'AUDIT: SESSION,1,1,DDL,CREATE TABLE,TABLE,t,"CREATE TABLE t (\n\tid int)",<none>' },
    },
  ];

  it.each(cases)('$name', ({ prefix, text, level, want }) => {
    const got = parse(prefix, text, level === undefined ? (want.level ?? 'LOG') : level);
    expect(got).not.toBeNull();
    expect(got).toMatchObject(want);
  });

  it.each([
    { name: 'a different prefix', prefix: '%m [%p] ', text: '2026-07-02 03:00:06 UTC-6a45d422.1513f3-LOG:  x' },
    { name: 'no level marker', prefix: '%t-%c-', text: '2026-07-02 03:00:06 UTC-6a45d422.1513f3-something else' },
    { name: 'a single space after the level', prefix: '%t-%c-', text: '2026-07-02 03:00:06 UTC-6a45d422.1513f3-LOG: x' },
  ])('does not match $name', ({ prefix, text }) => {
    expect(parse(prefix, text)).toBeNull();
  });

  it('lists escapes PostgreSQL ignores', () => {
    expect(unknownEscapes('%t %z %-5y %% %q %Q')).toEqual(['%z', '%y']);
  });

  // A renderer written from PostgreSQL's documentation, independent of the compiler under test.
  const render = (v: { app: string; user: string; db: string; host: string; port: number; pid: number; line: number }, pad: number): string =>
    `2024-01-02 03:04:05.678 UTC [${v.pid}] ${v.user}@${v.db} app=${pad ? v.app.padEnd(pad) : v.app} ${v.host}(${v.port}) #${v.line} `;

  it('property: rendered prefixes parse back to their values', () => {
    const name = fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }).filter((s) => !/[\n@]/.test(s) && s.trim() === s && s !== '[unknown]');
    fc.assert(
      fc.property(
        fc.record({
          app: fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }).filter((s) => !s.includes('\n') && s.trim() === s && s !== '[unknown]'),
          user: name,
          db: name,
          host: fc.ipV4(),
          port: fc.integer({ min: 1, max: 65535 }),
          pid: fc.integer({ min: 1, max: 4_000_000 }),
          line: fc.integer({ min: 1, max: 1e6 }),
        }),
        fc.constantFrom(0, -24),
        fc.constantFrom('LOG', 'ERROR', 'FATAL'),
        (v, pad, level) => {
          const prefix = `%m [%p] %u@%d app=%${pad === 0 ? '' : pad}a %r #%l `;
          const text = render(v, -pad) + `${level}:  message`;
          const got = parse(prefix, text, level);
          expect(got).toMatchObject({ processId: v.pid, userName: v.user, databaseName: v.db, clientHost: v.host, clientPort: v.port, sessionLine: v.line, message: 'message' });
          // Names can hold "@" only at the cost of ambiguity (PostgreSQL does not escape); app names are exact.
          expect(got?.applicationName).toBe(v.app);
        },
      ),
      { numRuns: 500 },
    );
  });
});
