import { describe, expect, it } from 'vitest';
import { compileUserRule, createRedactor } from '../../src/enrich/redact.js';

describe('createRedactor (built-in rules)', () => {
  const redactor = createRedactor();
  const cases: { name: string; text: string; want: string }[] = [
    { name: 'ALTER ROLE PASSWORD literal', text: "ALTER ROLE bob PASSWORD 's3cret!'", want: 'ALTER ROLE bob PASSWORD <REDACTED>' },
    { name: 'CREATE USER ENCRYPTED PASSWORD with VALID UNTIL kept', text: "CREATE USER x ENCRYPTED PASSWORD 'md5abc' VALID UNTIL '2030-01-01'", want: "CREATE USER x ENCRYPTED PASSWORD <REDACTED> VALID UNTIL '2030-01-01'" },
    { name: 'comment between PASSWORD and literal', text: "ALTER USER u encrypted /* c */PASSWORD /* d */ 'p''q'", want: 'ALTER USER u encrypted /* c */PASSWORD /* d */ <REDACTED>' },
    { name: 'escape-string literal', text: "ALTER ROLE r PASSWORD E'a\\'b'", want: 'ALTER ROLE r PASSWORD <REDACTED>' },
    { name: 'dollar-quoted literal', text: 'ALTER ROLE r PASSWORD $pw$x y$pw$ LOGIN', want: 'ALTER ROLE r PASSWORD <REDACTED> LOGIN' },
    { name: 'statement: line of PostgreSQL itself', text: "statement: CREATE ROLE app LOGIN PASSWORD 'Tr0ub4dor&3'", want: 'statement: CREATE ROLE app LOGIN PASSWORD <REDACTED>' },
    { name: 'user mapping OPTIONS', text: "CREATE USER MAPPING FOR bob SERVER s OPTIONS (user 'bob', password 'fdw-secret')", want: "CREATE USER MAPPING FOR bob SERVER s OPTIONS (user 'bob', password <REDACTED>)" },
    { name: 'ALTER USER MAPPING SET password', text: "ALTER USER MAPPING FOR bob SERVER s OPTIONS (SET password 'n3w')", want: 'ALTER USER MAPPING FOR bob SERVER s OPTIONS (SET password <REDACTED>)' },
    { name: 'quoted option name', text: `OPTIONS ("password" 'x1')`, want: `OPTIONS ("password" <REDACTED>)` },
    { name: 'connection string in a literal', text: "SELECT dblink_connect('host=db user=app password=hunter2 dbname=x')", want: "SELECT dblink_connect('host=db user=app password=<REDACTED> dbname=x')" },
    { name: 'connection string quoted value', text: "password='a b' host=x", want: 'password=<REDACTED> host=x' },
    { name: 'connection string SQL-escaped quoted value', text: "SELECT 'password=''a b'' host=x'", want: "SELECT 'password=<REDACTED> host=x'" },
    { name: 'sslpassword', text: 'sslpassword=k3y host=x', want: 'sslpassword=<REDACTED> host=x' },
    { name: 'comparison with a password column', text: "SELECT * FROM users WHERE password = 'plain'", want: 'SELECT * FROM users WHERE password = <REDACTED>' },
    { name: 'URI credentials', text: 'CONNECTION postgresql://rep:pa55@primary:5432/db', want: 'CONNECTION postgresql://rep:<REDACTED>@primary:5432/db' },
    { name: 'error message carrying a secret', text: 'invalid input syntax for type integer: "password=abc123"', want: 'invalid input syntax for type integer: "password=<REDACTED>"' },
    { name: 'cut literal is redacted to the end', text: "ALTER ROLE r PASSWORD 'long-secret-that-was-c", want: 'ALTER ROLE r PASSWORD <REDACTED>' },
  ];
  it.each(cases)('$name', ({ text, want }) => {
    expect(redactor.redact(text)).toEqual({ text: want, redacted: true });
  });

  it.each([
    "ALTER ROLE bob PASSWORD NULL",
    'CREATE USER regress_user1 password <REDACTED>',
    'SELECT password FROM users',
    'SELECT 1',
    'GRANT SELECT ON t TO bob',
  ])('leaves %j alone', (text) => {
    expect(redactor.redact(text)).toEqual({ text, redacted: false });
  });
});

describe('user patterns', () => {
  it('replaces the whole match, or only the group named secret', () => {
    const r = createRedactor(['api[_-]?key=\\w+', '/token: (?<secret>[A-Z0-9]+)/i']);
    expect(r.redact('x api_key=abc token: QWE123 y')).toEqual({ text: 'x <REDACTED> token: <REDACTED> y', redacted: true });
  });

  it.each([
    { pattern: '(', error: /redaction pattern 1 "\(" is not usable/ },
    { pattern: 'a*', error: /matches the empty string/ },
  ])('rejects $pattern with a clear error', ({ pattern, error }) => {
    expect(() => compileUserRule(pattern, 0)).toThrow(error);
  });
});
