// `npm run bench`, third measure: the deployment package's cold start, from process start to the
// three functions registered (the host's part before the first invocation), as the Node.js worker
// loads package.json main, with the stand-in for @azure/functions-core the tests use. The package
// is built as azd builds it (scripts/package-function.ts: one esbuild bundle); its files and bytes
// are what the platform mounts. Median of BENCH_COLD_RUNS (default 7) fresh processes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildFunctionPackage } from '../package-function.js';

const root = join(import.meta.dirname, '..', '..');
const runs = Number(process.env.BENCH_COLD_RUNS ?? 7);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function filesOf(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    files++;
    bytes += statSync(join(e.parentPath, e.name)).size;
  }
  return { files, bytes };
}

const dir = mkdtempSync(join(tmpdir(), 'pgaudit-cold-'));
try {
  const built = await buildFunctionPackage(root, dir);
  const script = `for (const f of ${JSON.stringify(built.entryPoints)}) await import('./' + f); process.stdout.write('@@MS@@' + performance.now().toFixed(1) + '\\n');`;
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['--require', join(root, 'test/functions/fake-functions-core.cjs'), '--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH } });
    const registered = (/@@REGISTERED@@(.*)/.exec(out)?.[1] ?? '[]').match(/"name":"(blobCreated|shipServer|sweep)"/g) ?? [];
    if (registered.length !== 3) throw new Error(`the package registered ${registered.length} of 3 functions:\n${out}`);
    ms.push(Number(/@@MS@@([\d.]+)/.exec(out)![1]));
  }
  const { files, bytes } = filesOf(dir);
  console.log(`cold start of the deployment package (${relative(root, dir) ? 'built in a temporary folder' : ''}): ${files} files, ${(bytes / 1e6).toFixed(2)} MB, ${built.packages.length} npm packages bundled`);
  console.log(`  process start → 3 functions registered: median ${median(ms).toFixed(0)} ms (runs: ${ms.map((m) => m.toFixed(0)).join(', ')})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
