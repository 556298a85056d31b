// The detection pack (infra/kql/detect-*.kql) judged on the rows a real PostgreSQL 15 + pgAudit
// wrote for the attack workload and its benign look-alikes (test/fixtures/pg15): each rule's own
// KQL runs over those rows (kql-eval.ts) and must fire on the named attack rows and stay quiet on
// the benign ones (cases.ts); every value it compares with Command, Class, ObjectType, EventType or
// SqlState must be one pgAudit really writes; every file carries the header the docs promise.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CASES } from './cases.js';
import { ALL_STYLE_ROWS, asTable, FIXTURE_ROWS, indexesOf } from './fixture-rows.js';
import { KqlEval } from './kql-eval.js';
import { columnLiterals, occurs, timeFilters } from './literals.js';
import { END, fired, KQL_DIR as KQL, ruleText as text } from './run-rule.js';

export { setLets } from './run-rule.js';
export const DETECTION_FILES = readdirSync(KQL).filter((f) => f.startsWith('detect-') && f.endsWith('.kql')).sort();

describe.each(CASES)('detect-$rule ($checked)', (c) => {
  it.each(c.attacks)('fires on the attack: $name', ({ row }) => {
    const rows = indexesOf(row);
    expect(rows.length, 'the fixtures hold no such row (rerun npm run fixtures)').toBeGreaterThan(0);
    const hits = fired(c);
    for (const i of rows) expect(hits.has(i), JSON.stringify(FIXTURE_ROWS[i]!.Statement || FIXTURE_ROWS[i]!.Message)).toBe(true);
  });

  it.each(c.benign)('stays quiet on the look-alike: $name', ({ row }) => {
    const rows = indexesOf(row);
    expect(rows.length, 'the fixtures hold no such row').toBeGreaterThan(0);
    const hits = fired(c);
    for (const i of rows) expect(hits.has(i), JSON.stringify(FIXTURE_ROWS[i]!.Statement || FIXTURE_ROWS[i]!.Message)).toBe(false);
  });

});

describe.each(CASES.filter((c) => c.alsoFires))('detect-$rule with other settings', (c) => {
  it.each(c.alsoFires!.attacks)('fires on $name', ({ row }) => {
    const rows = indexesOf(row);
    expect(rows.length, 'the fixtures hold no such row').toBeGreaterThan(0);
    const hits = fired(c, c.alsoFires!.lets);
    for (const i of rows) expect(hits.has(i), JSON.stringify(FIXTURE_ROWS[i]!.Statement || FIXTURE_ROWS[i]!.Message)).toBe(true);
  });
});

describe.each(CASES.filter((c) => c.quiet))('detect-$rule threshold', (c) => {
  it('goes quiet with thresholds past what the attack did (the threshold is evaluated, not bypassed)', () => {
    const hits = fired(c, Object.fromEntries(Object.entries(c.quiet!).map(([k, v]) => [k, String(v)])));
    for (const a of c.attacks) for (const i of indexesOf(a.row)) expect(hits.has(i), a.name).toBe(false);
  });
});

describe('the detection files', () => {
  it('every file has a case and every case a file', () => {
    expect(CASES.map((c) => `detect-${c.rule}.kql`).sort()).toEqual(DETECTION_FILES);
  });

  it.each(DETECTION_FILES)('%s opens with the header: what, why, ATT&CK, severity, parameters, false positives', (file) => {
    const kql = readFileSync(path.join(KQL, file), 'utf8');
    const header = kql.slice(0, kql.search(/^let |^PgAudit_CL/m));
    for (const field of ['Detection', 'Catches', 'Why', 'ATT&CK', 'Severity', 'Parameters', 'False positives']) expect(header, field).toMatch(new RegExp(`^// ${field}: \\S`, 'm'));
    expect(header).toMatch(/^\/\/ ATT&CK: T\d{4}(\.\d{3})?(, T\d{4}(\.\d{3})?)*$/m);
    expect(header).toMatch(/^\/\/ Severity: [0-4]$/m);
    // Every tuning parameter (a let line holding a literal) is named in the header.
    for (const [, name] of kql.matchAll(/^let (\w+) = (?:dynamic\(|\d|"|@")[^;]*;$/gm)) expect(header, name).toContain(name!);
  });

  it.each(DETECTION_FILES)('%s compares Command, Class, ObjectType, EventType and SqlState only with values the real server writes', (file) => {
    const literals = columnLiterals(readFileSync(path.join(KQL, file), 'utf8'));
    expect(literals.length).toBeGreaterThan(0);
    for (const l of literals) expect(occurs(l, ALL_STYLE_ROWS), `${l.column} ${l.op} "${l.value}"`).toBe(true);
  });

  it('the literal check and the interpreter fail on what they guard against', () => {
    const wrong = columnLiterals('PgAudit_CL | where Command == "COPY TO PROGRAM" or SqlState in ("42501", "99999")');
    expect(wrong.filter((l) => !occurs(l, ALL_STYLE_ROWS)).map((l) => l.value)).toEqual(['COPY TO PROGRAM', '99999']);
    const ev = new KqlEval({ tables: { PgAudit_CL: asTable(FIXTURE_ROWS) }, now: END });
    expect(() => ev.run('PgAudit_CL | top 1 by TimeGenerated')).toThrow(/not supported/);
    expect(() => ev.run('PgAudit_CL | where hash(Command) == 1')).toThrow(/not supported/);
    expect(ev.run('PgAudit_CL | where EventType == "AUTH_FAILURE" | summarize n = count()')[0]!.values.n).toBe(FIXTURE_ROWS.filter((r) => r.EventType === 'AUTH_FAILURE').length);
  });
});

describe.each(CASES.filter((c) => c.checked === 'baseline'))('detect-$rule baseline', (c) => {
  it('trains on the Baseline before the detection window and judges only the window (the training set never holds the rows it judges)', () => {
    const kql = text(c.rule);
    expect(kql).toMatch(/^let DetectionStart = ago\(DetectionWindow\);$/m);
    // Every time filter, from the syntax tree: the training range [ago(Baseline), DetectionStart)
    // and the window [DetectionStart, now), nothing else (Sentinel's Azure SQL rules filtered the
    // training set to the detection window and could never fire).
    expect(timeFilters(kql).sort()).toEqual(['< DetectionStart', '>= DetectionStart', '>= ago(Baseline)']);
  });
});
