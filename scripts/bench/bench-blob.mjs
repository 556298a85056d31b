// The benchmark blob: at least BENCH_MB (default 300) MB made by repeating the generated fixtures,
// every session id and pid made unique per copy so attribution and gap tracking do real work.
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function benchBlob(targetMb = Number(process.env.BENCH_MB ?? 300)) {
  // One style, so one log_line_prefix fits every line: the Flexible Server default `%t-%c-`.
  const fixtures = (process.env.BENCH_FIXTURES ?? ['h00', 'h01'].map((h) => join(root, 'test', 'fixtures', 'pg15', 'azure-default', `${h}.PT1H.json`)).join(','))
    .split(',')
    .filter((f) => existsSync(f));
  if (fixtures.length === 0) throw new Error('no fixtures found; run `npm run fixtures` first (or set BENCH_FIXTURES=a.json,b.json)');
  const blob = join(root, '.bench', `bench-${targetMb}MB-PT1H.json`);
  if (existsSync(blob) && statSync(blob).size >= targetMb * 1e6) return blob;
  mkdirSync(dirname(blob), { recursive: true });
  const lines = fixtures.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== ''));
  const bytesPerCopy = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  const copies = Math.ceil((targetMb * 1e6) / bytesPerCopy);
  console.error(`bench: writing ${blob} (${copies} copies of ${lines.length} fixture records)...`);
  const out = createWriteStream(blob);
  for (let k = 0; k < copies; k++) {
    const tag = k.toString(16);
    let chunk = '';
    for (const l of lines) chunk += l.replace(/-([0-9a-f]{8})\.([0-9a-f]+)-/g, (_m, a, b) => `-${a}.${b}${tag}-`).replace(/"processId": ?(\d+)/, (_m, p) => `"processId": ${Number(p) * 1000 + (k % 1000)}`) + '\n';
    if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
  return blob;
}
