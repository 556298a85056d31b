// With cost tiering (src/tiering.ts tierOf(), default rule) the session READ/WRITE rows of users not
// in tiering.privilegedUsers go to PgAuditBulk_CL, where no alert runs. Which detections then miss
// attack rows is computed here from the real attack rows and must be the list docs/detections.md
// gives ("With cost tiering"), so the documentation cannot fall behind the rules or the tiering rule.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { tierOf } from '../../src/tiering.js';
import type { PgAuditRow } from '../../src/schema.js';
import { CASES } from './cases.js';
import { FIXTURE_ROWS, indexesOf } from './fixture-rows.js';

const DOC = readFileSync(path.resolve(import.meta.dirname, '../../docs/detections.md'), 'utf8');

it('the detections that miss attack rows under default tiering are the ones docs/detections.md lists', () => {
  const affected = CASES.filter((c) => c.attacks.some((a) => indexesOf(a.row).some((i) => tierOf(FIXTURE_ROWS[i] as unknown as PgAuditRow) === 'bulk'))).map((c) => c.rule);
  expect(affected.length).toBeGreaterThan(0);
  const section = DOC.slice(DOC.indexOf('## With cost tiering'));
  const listed = [...section.slice(0, section.indexOf('\n## ', 3)).matchAll(/^- `detect-([a-z-]+)`/gm)].map((m) => m[1]);
  expect(listed.sort()).toEqual(affected.sort());
  // Privileged users keep their rows: with the attacker listed, nothing is missed.
  const rule = { bulkClasses: ['READ', 'WRITE'], privilegedUsers: ['dba', 'webshop', 'billing'] };
  expect(CASES.some((c) => c.attacks.some((a) => indexesOf(a.row).some((i) => tierOf(FIXTURE_ROWS[i] as unknown as PgAuditRow, rule) === 'bulk')))).toBe(false);
});
