// Runs `pgaudit-ingest parse` exactly as a user does (the package bin, which re-runs itself with
// its heap cap), rows to /dev/null; prints the JSON summary and {"maxRssKb"} (largest of the
// processes) on stderr.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const r = spawnSync(
  process.execPath,
  ['--require', join(root, 'test/helpers/report-max-rss.cjs'), join(root, 'bin/pgaudit-ingest.js'), 'parse', '--no-progress', '--summary', 'json', '-o', '/dev/null', ...process.argv.slice(2)],
  { encoding: 'utf8', maxBuffer: 1 << 26 },
);
const rss = [...r.stderr.matchAll(/@@MAXRSS@@(\d+)/g)].map((m) => Number(m[1]));
process.stderr.write(r.stderr.replace(/@@MAXRSS@@\d+\n/g, ''));
process.stderr.write(JSON.stringify({ maxRssKb: Math.max(...rss) }) + '\n');
process.exitCode = r.status ?? 1;
