// `pgaudit-ingest parse`: local blob files → NDJSON PgAudit_CL rows on stdout, summary on stderr.
import { open, stat } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { PIPELINE_KEYS } from '../config/settings-model.js';
import { InputError } from '../errors/input-error.js';
import { OutputError } from '../errors/output-error.js';
import { UsageError } from '../errors/usage-error.js';
import { bundledSamplePath } from '../package-root.js';
import { prefixWarnings } from '../parse/log-line-prefix.js';
import type { AuditPipeline } from '../pipeline/audit-pipeline.js';
import type * as ChunkRowsModule from '../pipeline/chunk-rows.js';
import type { RowBatch } from '../pipeline/chunk-rows.js';
import { pipelineOptionsOf, type PipelineOptions } from '../pipeline/options.js';
import { DEFAULT_MAX_LINE_BYTES } from '../read/line-splitter.js';
import { resolveCliSettings } from './cli-settings.js';
import { THREAD_MIN_BYTES } from '../threads/worker-script.js';
import { DecodeThread } from './decode-thread.js';
import { NdjsonWriter } from './ndjson-writer.js';
import { ByteEstimate, tieringRuleOf } from './byte-estimate.js';
import { monthlyVolumeOf } from './cost-plans.js';
import { summaryJson, summaryText } from './summary.js';
import { openFile, openStream } from './open-file.js';
import { ProgressReporter } from './progress.js';

export interface ParseCliOptions extends Readonly<Record<string, unknown>> {
  readonly output?: string;
  readonly summary: string;
  readonly progress?: boolean;
  /** Decode files in a worker thread: auto (when they total ≥ THREAD_MIN_BYTES), on, off. */
  readonly worker?: string;
  /** The tiering rule of the --summary json estimate (repeatable options). */
  readonly tierBulkClass?: readonly string[];
  readonly tierPrivilegedUser?: readonly string[];
  /** The volume the --summary json estimate prices (at most one). */
  readonly monthlyGb?: string;
  readonly monthlyEvents?: string;
  /** When the rows would be sent (ISO): decides which rows carry EventTime. */
  readonly assumeSentAt?: string;
}

export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stderrIsTty: boolean;
}

interface Input {
  readonly name: string;
  /** Null for stdin. */
  readonly path: string | null;
  readonly size: number | null;
  open(): Readable;
}

async function resolveInputs(files: readonly string[], io: CliIo): Promise<Input[]> {
  const names = files.length > 0 ? files : [bundledSamplePath()];
  if (files.length === 0) io.stderr.write(`pgaudit-ingest: no FILE given; parsing the bundled sample ${names[0]} (pass - to read stdin)\n`);
  const inputs: Input[] = [];
  for (const name of names) {
    if (name === '-') {
      inputs.push({ name: 'stdin', path: null, size: null, open: () => openStream(io.stdin) });
      continue;
    }
    let size: number;
    try {
      const s = await stat(name);
      if (!s.isFile()) throw new InputError(name, 'not a regular file');
      size = s.size;
    } catch (err) {
      if (err instanceof InputError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new InputError(name, code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(err)})`, { cause: err });
    }
    inputs.push({ name, path: name, size, open: () => openFile(name) });
  }
  return inputs;
}

export async function runParse(files: readonly string[], o: ParseCliOptions, io: CliIo): Promise<number> {
  if (o.summary !== 'text' && o.summary !== 'json') throw new UsageError(`--summary must be text or json (got ${JSON.stringify(o.summary)})`);
  if (o.worker !== undefined && !['auto', 'on', 'off'].includes(o.worker)) throw new UsageError(`--worker must be auto, on or off (got ${JSON.stringify(o.worker)})`);
  const sentAt = o.assumeSentAt === undefined ? null : Date.parse(o.assumeSentAt);
  if (sentAt !== null && !Number.isFinite(sentAt)) throw new UsageError(`--assume-sent-at must be an ISO date and time (got ${JSON.stringify(o.assumeSentAt)})`, { hint: 'e.g. 2026-12-08T01:10:00Z' });
  const volume = monthlyVolumeOf(o.monthlyGb, o.monthlyEvents);
  if (volume && 'error' in volume) throw new UsageError(volume.error);
  if (volume && o.summary !== 'json') throw new UsageError('--monthly-gb and --monthly-events need --summary json');
  const estimate = o.summary === 'json' ? new ByteEstimate(tieringRuleOf(o.tierBulkClass, o.tierPrivilegedUser), volume) : null;
  const inputs = await resolveInputs(files, io);
  const started = performance.now();
  const totalBytes = inputs.reduce((n, i) => n + (i.size ?? 0), 0);
  const worker = o.worker ?? 'auto';
  // Started, with every file queued, before the pipeline's modules (zod among them) load, so
  // that the thread's own start-up overlaps theirs instead of leaving this thread idle.
  const thread = worker === 'on' || (worker === 'auto' && totalBytes >= THREAD_MIN_BYTES) ? new DecodeThread(inputs.flatMap((i) => (i.path === null ? [] : [i.path])), DEFAULT_MAX_LINE_BYTES) : null;
  let bytes = 0;
  try {
    // Validated (zod loads here) while the thread starts.
    const settings = await resolveCliSettings(o, PIPELINE_KEYS, []);
    for (const p of [settings.logLinePrefix, ...Object.values(settings.serverLogLinePrefixes)]) {
      for (const w of prefixWarnings(p)) io.stderr.write(`pgaudit-ingest: warning: ${w}\n`);
    }
    const out = o.output ? await openOutput(o.output) : io.stdout;
    const { pipeline, rowGenerators } = await loadPipeline({ ...pipelineOptionsOf(settings), ...(sentAt === null ? {} : { sendsAt: () => sentAt }) });
    const writer = new NdjsonWriter(out, o.output ?? 'stdout');
    const progress = new ProgressReporter(io.stderr, o.progress ?? io.stderrIsTty, totalBytes);
    for (const input of inputs) {
      estimate?.beginInput(input.name);
      const onBytes = (n: number): void => {
        bytes += n;
        progress.update(bytes, input.name);
      };
      try {
        for await (const batch of rowBatches(rowGenerators, input, pipeline, thread, onBytes)) {
          await writer.write(batch.rows, estimate ? (row, n) => estimate.add(row, n) : undefined);
          if (!writer.open) break;
        }
      } catch (err) {
        if (err instanceof OutputError) throw err;
        throw new InputError(input.name, `read failed: ${(err as Error).message}`, { cause: err });
      }
      if (!writer.open) break;
      if (estimate) await addSourceRecords(estimate, input);
    }
    await writer.end();
    progress.done();
    const summary = { files: inputs.length, bytes, seconds: (performance.now() - started) / 1000, stats: pipeline.stats, logLinePrefix: settings.logLinePrefix };
    io.stderr.write(estimate ? JSON.stringify({ ...summaryJson(summary), ...estimate.json() }) + '\n' : summaryText(summary));
    return 0;
  } finally {
    await thread?.close();
  }
}

/**
 * The output file, opened before any row is produced so that an unwritable path is one clear
 * error. A 1 MiB buffer lets the file writes (done off-thread) overlap the next batch's parsing;
 * at the default 16 KiB every batch waited for its own write (docs/performance.md).
 */
async function openOutput(path: string): Promise<Writable> {
  try {
    const handle = await open(path, 'w');
    return handle.createWriteStream({ highWaterMark: 1 << 20 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new OutputError(path, e.code === 'ENOENT' ? 'its directory does not exist' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'it is a directory' : e.message, {
      cause: err,
      hint: 'pass -o a path in a writable directory, or leave -o out to write to stdout',
    });
  }
}

/**
 * The estimate's view of one input: a range (its run records) and, read a second time, its
 * source records (what Azure's own tables would bill for them). stdin cannot be read again.
 */
async function addSourceRecords(estimate: ByteEstimate, input: Input): Promise<void> {
  estimate.addRange();
  if (input.path === null) {
    estimate.sourceUnavailable();
    return;
  }
  let rest = '';
  const decoder = new TextDecoder();
  for await (const chunk of openFile(input.path) as AsyncIterable<Buffer>) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n');
    rest = lines.pop()!;
    for (const line of lines) estimate.addSourceLine(line);
  }
  estimate.addSourceLine(rest + decoder.decode());
}

type RowGenerators = typeof ChunkRowsModule;

/** The pipeline (a bad log_line_prefix is a usage error) and its row generators, loaded on demand. */
async function loadPipeline(options: Partial<PipelineOptions>): Promise<{ pipeline: AuditPipeline; rowGenerators: RowGenerators }> {
  const [{ AuditPipeline }, rowGenerators] = await Promise.all([import('../pipeline/audit-pipeline.js'), import('../pipeline/chunk-rows.js')]);
  try {
    return { pipeline: new AuditPipeline(options), rowGenerators };
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
}

/** The row batches of one input: decoded by the worker thread when there is one (files only). */
function rowBatches(rows: RowGenerators, input: Input, pipeline: AuditPipeline, thread: DecodeThread | null, onBytes: (n: number) => void): AsyncIterable<RowBatch> {
  if (thread && input.path !== null) return rows.packedRows(countBatchBytes(thread.file(input.path), onBytes), pipeline, input.name);
  return rows.chunkRows(countBytes(input.open(), onBytes), pipeline, { sourceBlob: input.name, final: true });
}

async function* countBytes(source: AsyncIterable<Buffer>, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    onBytes(chunk.length);
    yield chunk;
  }
}

async function* countBatchBytes<B extends { readonly bytes: number }>(source: AsyncIterable<B>, onBytes: (n: number) => void): AsyncGenerator<B> {
  for await (const batch of source) {
    onBytes(batch.bytes);
    yield batch;
  }
}
