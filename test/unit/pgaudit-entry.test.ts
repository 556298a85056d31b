import { describe, expect, it } from 'vitest';
import { decodeParameters, parseAuditEntry, type AuditEntry } from '../../src/parse/pgaudit-entry.js';

describe('parseAuditEntry', () => {
  const cases: { name: string; payload: string; want: Partial<AuditEntry> }[] = [
    {
      name: 'simple SESSION entry',
      payload: 'SESSION,3,1,MISC,SET,,,SET pgaudit.log_level = \'notice\',<not logged>',
      want: { auditType: 'SESSION', statementId: 3, substatementId: 1, className: 'MISC', command: 'SET', objectType: null, objectName: null, statement: "SET pgaudit.log_level = 'notice'", parameter: '<not logged>', parameters: null, rows: null },
    },
    {
      name: 'quoted multi-line statement',
      payload: 'SESSION,1,1,DDL,CREATE TABLE,TABLE,public.test,"CREATE TABLE public.test\n(\n\tid INT\n)",<none>',
      want: { objectType: 'TABLE', objectName: 'public.test', statement: 'CREATE TABLE public.test\n(\n\tid INT\n)', parameter: '<none>', parameters: null },
    },
    {
      name: 'quoted object name with comma and doubled quotes',
      payload: 'OBJECT,5,2,READ,SELECT,TABLE,"public.""a,b""","SELECT * FROM ""a,b""",<none>',
      want: { auditType: 'OBJECT', objectName: 'public."a,b"', statement: 'SELECT * FROM "a,b"' },
    },
    {
      name: 'ROWS as a tenth field',
      payload: 'SESSION,7,1,WRITE,INSERT,TABLE,public.t,"INSERT INTO t VALUES (1), (2)",<none>,2',
      want: { rows: 2 },
    },
    {
      name: 'double-encoded parameters with comma, quote, NULL and newline',
      payload: 'SESSION,2,1,WRITE,INSERT,TABLE,public.t,"INSERT INTO t VALUES ($1, $2, $3, $4)","""a,b"",""say """"hi"""""",,""x\ny"""',
      want: { parameter: '"a,b","say ""hi""",,"x\ny"', parameters: ['a,b', 'say "hi"', null, 'x\ny'] },
    },
    {
      name: 'long parameter suppressed',
      payload: 'SESSION,2,1,READ,SELECT,,,"SELECT $1, $2","1,<long param suppressed>"',
      want: { parameters: ['1', '<long param suppressed>'] },
    },
    {
      name: 'previously logged',
      payload: 'OBJECT,1,1,READ,SELECT,TABLE,public.test2,<previously logged>,<previously logged>',
      want: { statement: '<previously logged>', parameter: '<previously logged>', parameters: null },
    },
    {
      name: 'statement not logged',
      payload: 'SESSION,4,1,READ,SELECT,,,<not logged>,<not logged>',
      want: { statement: '<not logged>', parameters: null },
    },
  ];
  it.each(cases)('$name', ({ payload, want }) => {
    const r = parseAuditEntry(payload);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.entry).toMatchObject(want);
  });

  it.each([
    { name: 'too few fields', payload: 'SESSION,1,1,READ,SELECT', reason: /5 fields, expected 9/ },
    { name: 'too many fields', payload: 'SESSION,1,1,READ,SELECT,,,x,<none>,1,extra', reason: /11 fields/ },
    { name: 'unknown audit type', payload: 'BOGUS,1,1,READ,SELECT,,,x,<none>', reason: /unknown pgAudit audit type/ },
    { name: 'non-numeric statement id', payload: 'SESSION,x,1,READ,SELECT,,,x,<none>', reason: /statement ids are not numbers/ },
    { name: 'non-numeric rows', payload: 'SESSION,1,1,READ,SELECT,,,x,<none>,many', reason: /ROWS field/ },
    { name: 'cut inside a quoted statement', payload: 'SESSION,1,1,READ,SELECT,,,"SELECT 1', reason: /not valid CSV: unterminated/ },
  ])('rejects $name', ({ payload, reason }) => {
    const r = parseAuditEntry(payload);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});

describe('decodeParameters', () => {
  it.each([
    { parameter: '<none>', want: null },
    { parameter: '<not logged>', want: null },
    { parameter: '', want: [null] },
    { parameter: '1,foo', want: ['1', 'foo'] },
    { parameter: ',', want: [null, null] },
    { parameter: '"unterminated', want: ['"unterminated'] },
  ])('$parameter', ({ parameter, want }) => {
    expect(decodeParameters(parameter)).toEqual(want);
  });
});
