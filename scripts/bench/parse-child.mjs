// Runs `pgaudit-ingest parse` exactly as a user does (the package bin), rows to /dev/null; prints the JSON summary and {"maxRssKb", "cpuSeconds"} on
// stderr.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const r = spawnSync(
  process.execPath,
  ['--require', join(root, 'test/helpers/report-max-rss.cjs'), join(root, 'bin/pgaudit-ingest.js'), 'parse', '--no-progress', '--summary', 'json', '-o', '/dev/null', ...process.argv.slice(2)],
  { encoding: 'utf8', maxBuffer: 1 << 26 },
);
const reports = [...r.stderr.matchAll(/@@MAXRSS@@(\d+)@@CPU@@(\d+)/g)].map((m) => ({ rssKb: Number(m[1]), cpuUs: Number(m[2]) }));
process.stderr.write(r.stderr.replace(/@@MAXRSS@@\d+@@CPU@@\d+\n/g, ''));
// Every thread that loaded the preload (the decode worker inherits it) reports the whole
// process's peak RSS and CPU time, so the largest report is the process's.
const maxRssKb = Math.max(...reports.map((x) => x.rssKb));
const cpuSeconds = Math.max(...reports.map((x) => x.cpuUs)) / 1e6;
process.stderr.write(JSON.stringify({ maxRssKb, cpuSeconds }) + '\n');
process.exitCode = r.status ?? 1;
