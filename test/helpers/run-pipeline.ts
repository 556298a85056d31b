// Runs the pure pipeline over in-memory lines (test helper).
import { AuditPipeline, type PipelineSnapshot } from '../../src/pipeline/audit-pipeline.js';
import { chunkRows } from '../../src/pipeline/chunk-rows.js';
import type { PipelineOptions } from '../../src/pipeline/options.js';
import type { PgAuditRow } from '../../src/schema.js';

export async function rowsOf(
  text: string | Buffer,
  options: Partial<PipelineOptions> = {},
  sourceBlob = 'test/PT1H.json',
  snapshot?: PipelineSnapshot,
): Promise<{ rows: PgAuditRow[]; pipeline: AuditPipeline }> {
  const pipeline = new AuditPipeline(options, snapshot);
  const rows = await collect(pipeline, typeof text === 'string' ? Buffer.from(text) : text, sourceBlob);
  return { rows, pipeline };
}

export async function collect(pipeline: AuditPipeline, bytes: Buffer, sourceBlob: string): Promise<PgAuditRow[]> {
  const rows: PgAuditRow[] = [];
  for await (const batch of chunkRows([bytes], pipeline, { sourceBlob, final: true })) rows.push(...batch.rows);
  return rows;
}
