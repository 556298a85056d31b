// Running a detection file over fixture rows the way the tests judge it (detections.test.ts,
// count-once.test.ts): its `let` lines set as the Bicep templates set them, the detection window of
// a baseline rule placed inside the fixtures, now() just after the last row.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { INFRA } from '../infra/bicep.js';
import type { RuleCase } from './cases.js';
import { FIXTURE_ROWS, indexesOf, type FixtureRow } from './fixture-rows.js';
import { KqlEval, type TRow } from './kql-eval.js';

export const KQL_DIR = path.join(INFRA, 'kql');
export const ruleText = (rule: string): string => readFileSync(path.join(KQL_DIR, `detect-${rule}.kql`), 'utf8');
const times = FIXTURE_ROWS.map((r) => r.TimeGenerated as number);
/** now() of every run: just after the last fixture row. */
export const END = Math.max(...times) + 1;

/** The query with its `let Name = …;` lines set, as the Bicep templates set them. */
export function setLets(kql: string, values: Record<string, string>): string {
  let out = kql;
  for (const [name, value] of Object.entries(values)) {
    const re = new RegExp(`^let ${name} = .*;$`, 'm');
    if (!re.test(out)) throw new Error(`no let ${name} line`);
    out = out.replace(re, `let ${name} = ${value};`);
  }
  return out;
}

/** The rule's text as a case runs it: a baseline rule's window, then its own lets, then `lets`. */
export function caseQuery(c: RuleCase, lets: Record<string, string> = {}): string {
  let kql = ruleText(c.rule);
  if (c.windowStartsAt) {
    const [start] = indexesOf(c.windowStartsAt).map((i) => FIXTURE_ROWS[i]!.TimeGenerated as number);
    kql = setLets(kql, { DetectionWindow: `${END - start!}ms`, Baseline: `${END - Math.min(...times) + 1000}ms` });
  }
  return setLets(setLets(kql, c.lets ?? {}), lets);
}

/** The output rows of a query over these rows as PgAudit_CL (row i carries id i). */
export function runOver(kql: string, rows: readonly FixtureRow[]): TRow[] {
  const table = rows.map((values, i) => ({ values, ids: new Set([i]) }));
  return new KqlEval({ tables: { PgAudit_CL: table }, now: END }).run(kql);
}

/** The input rows (fixture indexes) that led to any output row of the case's rule. */
export function fired(c: RuleCase, lets: Record<string, string> = {}): Set<number> {
  return new Set(runOver(caseQuery(c, lets), FIXTURE_ROWS).flatMap((r) => [...r.ids]));
}
