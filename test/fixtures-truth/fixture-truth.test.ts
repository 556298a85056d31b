// The parser against ground truth from a real PostgreSQL 15 + pgAudit (jsonlog), for every
// log_line_prefix style the generator wrote (scripts/fixtures/generate.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditPipeline } from '../../src/pipeline/audit-pipeline.js';
import { DEFAULT_STATEMENT_CAP } from '../../src/enrich/cap.js';
import type { PgAuditRow } from '../../src/schema.js';
import { collect } from '../helpers/run-pipeline.js';
import { compareRow, type TruthRow } from './check-rows.js';

const DIR = path.resolve(import.meta.dirname, '../fixtures/pg15');
interface Manifest {
  styles: Record<string, { prefix: string; files: string[]; records: number; droppedRecords: number; rows: Record<string, number> }>;
}
const manifest = JSON.parse(readFileSync(path.join(DIR, 'manifest.json'), 'utf8')) as Manifest;
const secrets = JSON.parse(readFileSync(path.join(DIR, 'secrets.json'), 'utf8')) as string[];

async function parseStyle(name: string, prefix: string, files: string[]): Promise<{ rows: PgAuditRow[]; pipeline: AuditPipeline }> {
  const pipeline = new AuditPipeline({ logLinePrefix: prefix });
  const rows: PgAuditRow[] = [];
  for (const f of files) rows.push(...(await collect(pipeline, readFileSync(path.join(DIR, name, f)), `${name}/${f}`)));
  return { rows, pipeline };
}

describe.each(Object.entries(manifest.styles))('style %s', (name, style) => {
  const truth = readFileSync(path.join(DIR, name, 'truth.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as TruthRow);

  it(`every row equals the jsonlog truth (${style.prefix})`, async () => {
    const { rows } = await parseStyle(name, style.prefix, style.files);
    const mismatches = truth.flatMap((t, i) => (rows[i] ? compareRow(t, rows[i], DEFAULT_STATEMENT_CAP) : [{ at: `${t.SourceBlob}@${t.SourceOffset}`, field: '(row)', expected: t.EventType, actual: 'missing' }]));
    expect(mismatches.slice(0, 15)).toEqual([]);
    expect(rows.map((r) => r.EventType)).toEqual(truth.map((t) => t.EventType));
  });

  it('no secret survives in any row; counts match the manifest', async () => {
    const { rows, pipeline } = await parseStyle(name, style.prefix, style.files);
    const text = JSON.stringify(rows);
    for (const s of secrets) expect(text.includes(s), `secret ${s} leaked`).toBe(false);
    const byType: Record<string, number> = {};
    for (const r of rows) byType[String(r.EventType)] = (byType[String(r.EventType)] ?? 0) + 1;
    expect(byType).toEqual(style.rows);
    const stats = pipeline.stats;
    expect(stats.dropped + rows.filter((r) => r.EventType !== 'GAP').length).toBe(style.records);
  });
});
