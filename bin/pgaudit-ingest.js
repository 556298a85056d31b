#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm install` via the prepare script).
//
// Memory: the pipeline's live memory is bounded by design (a flush buffer, a capped session
// table), but V8 lets an idle-looking heap grow lazily towards gigabytes before it collects, so
// a 1 GB blob would show a large RSS that is mostly garbage. Unless the user chose a limit, the
// shipping commands run in a worker thread of this process whose old space is capped
// (PGAUDIT_INGEST_HEAP_MB, default 160; 0 = no cap). A thread, not a child process: when this
// process is killed (even with SIGKILL) nothing is left running. `parse` runs uncapped on the
// main thread: the cap costs it much of its speed (docs/performance.md).
import { Worker } from 'node:worker_threads';

const heapMb = Number(process.env.PGAUDIT_INGEST_HEAP_MB ?? '160');
const limited = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('--max-old-space-size'));
const args = process.argv.slice(2);

if (!limited && heapMb > 0 && args[0] !== 'parse') {
  const worker = new Worker(new URL('../dist/src/cli-thread.js', import.meta.url), {
    workerData: { args },
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
  });
  // A reader that went away (`| head`) ends the output; it is not an error worth a stack trace.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', (err) => void (err.code === 'EPIPE' || process.exit(1)));
  worker.on('error', (err) => {
    process.stderr.write(`pgaudit-ingest: ${err?.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `out of memory at the ${heapMb} MB heap cap (raise PGAUDIT_INGEST_HEAP_MB)` : `unexpected error: ${err?.stack ?? err}`}\n`);
    process.exitCode = 1;
  });
  worker.on('exit', (code) => {
    process.exitCode ??= code;
  });
} else {
  const { main } = await import('../dist/src/cli.js');
  process.exitCode = await main(args);
}
