#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm install` via the prepare script).
//
// Memory: the pipeline's live memory is bounded by design (a flush buffer, a capped session
// table), but V8 lets an idle-looking heap grow lazily towards gigabytes before it collects, so
// a 1 GB blob would show a large RSS that is mostly garbage. Unless the user chose a limit, the
// shipping commands run in a worker thread of this process whose old space is capped
// (PGAUDIT_INGEST_HEAP_MB, a setting of src/config/settings-model.ts; 0 = no cap). A thread, not a child process: when this
// process is killed (even with SIGKILL) nothing is left running. `parse` runs uncapped on the
// main thread: the cap costs it much of its speed (docs/performance.md).
import { Worker } from 'node:worker_threads';

const limited = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('--max-old-space-size'));
const args = process.argv.slice(2);
const heapMb = limited || args[0] === 'parse' ? 0 : await heapCap();

/** The heap cap setting, validated as every setting is; a bad value exits 2 with the problem. */
async function heapCap() {
  const { launcherHeapMb } = await import('../dist/src/config/settings.js');
  try {
    return launcherHeapMb();
  } catch (err) {
    process.stderr.write(`pgaudit-ingest: ${err?.describe?.() ?? err}\n`);
    process.exit(err?.exitCode ?? 2);
  }
}

if (heapMb > 0) {
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
