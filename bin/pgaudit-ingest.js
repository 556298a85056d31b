#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm install` via the prepare script).
//
// Memory: the pipeline's live memory is bounded by design (a flush buffer, a capped session
// table), but V8 lets an idle-looking heap grow lazily towards gigabytes before it collects, so
// a 1 GB blob would show a large RSS that is mostly garbage. Unless the user chose a limit, the
// shipping commands re-run themselves with an old-space cap (PGAUDIT_INGEST_HEAP_MB, default
// 160; 0 = no cap). `parse` runs uncapped: the cap costs it ~30 % of its speed (npm run bench).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const heapMb = process.env.PGAUDIT_INGEST_HEAP_MB ?? '160';
const limited = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('--max-old-space-size'));

if (!limited && heapMb !== '0' && process.argv[2] !== 'parse') {
  const child = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exitCode = code ?? 1;
  });
} else {
  const { main } = await import('../dist/src/cli.js');
  process.exitCode = await main(process.argv.slice(2));
}
