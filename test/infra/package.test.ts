// The deployment package, built the way `azd deploy` builds it: the prepackage hook
// (scripts/package-function.ts) writes dist/function-app, then azd zips that folder by its own rules
// (test/infra/azd-package.ts, restated from the azd source). The test lists the zip and checks that
// it holds what the Functions host loads at start and nothing of the repository's tooling.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKER_SOURCES } from '../../scripts/package/bundle.js';
import { buildFunctionPackage, functionNames, PACKAGE_DIR, type FunctionPackage } from '../../scripts/package-function.js';
import { azdZipEntries, gitignore, resolveRemoteBuild, zipSize, type ZipEntry } from './azd-package.js';
import { ROOT } from './bicep.js';

const read = (p: string): string => readFileSync(path.join(ROOT, p), 'utf8');
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
const lockPaths = (dev: boolean): string[] => Object.keys(lock.packages).filter((k) => k !== '' && Boolean(lock.packages[k]!.dev) === dev);

describe('the deployment package azd uploads', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pgaudit-package-'));
  let entries: ZipEntry[] = [];
  let built: FunctionPackage;
  beforeAll(async () => {
    built = await buildFunctionPackage(ROOT, dir); // bundled from the sources
    entries = azdZipEntries(dir, false);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is what azure.yaml tells azd to zip, prebuilt (no remote build), made by the prepackage hook', () => {
    const yaml = read('azure.yaml');
    expect(yaml).toMatch(new RegExp(`^ {4}dist: ${PACKAGE_DIR}$`, 'm'));
    expect(yaml).toMatch(/^ {4}remoteBuild: false$/m);
    expect(yaml).toMatch(/^ {4}hooks:\n {6}prepackage:\n(?: {8,}.*\n)*? {10}run: npx --no-install tsx scripts\/package-function\.ts$/m);
    // azd >= 1.23.12 checks remoteBuild against the project's .funcignore; false must be accepted.
    expect(resolveRemoteBuild(ROOT, false)).toBe(false);
    expect(read('.gitignore')).toMatch(/^dist\/$/m); // the package is a build output, never committed
  });

  it('lists its files and size', () => {
    const bytes = entries.reduce((n, e) => n + e.size, 0);
    // One line per app file, one per production package (its lockfile path).
    const packages = lockPaths(false).sort((a, b) => b.length - a.length);
    const byTop = new Map<string, { files: number; bytes: number }>();
    for (const e of entries) {
      const top = packages.find((p) => e.path.startsWith(`${p}/`)) ?? e.path;
      const t = byTop.get(top) ?? { files: 0, bytes: 0 };
      byTop.set(top, { files: t.files + 1, bytes: t.bytes + e.size });
    }
    const lines = [...byTop].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, t]) => `  ${p.padEnd(70)} ${String(t.files).padStart(5)} files ${String(t.bytes).padStart(10)} bytes`);
    console.log(`deployment package: ${entries.length} files, ${bytes} bytes (zip ${zipSize(dir, entries)} bytes)\n${lines.join('\n')}`);
    // A bundle: a handful of files; room for the code to grow, but a tool or a test tree would blow it.
    expect(entries.length).toBeLessThan(20);
    expect(bytes).toBeLessThan(8_000_000);
  });

  it('holds nothing of the tests, scripts, tools, sources, infra, docs or dev dependencies', () => {
    const forbidden = /^(test|scripts|\.tools|src|functions|infra|docs|samples|bin|\.ci|\.git|\.azure|coverage)(\/|$)/;
    for (const e of entries) {
      expect(e.path, e.path).not.toMatch(forbidden);
      expect(e.path, e.path).not.toMatch(/\.(map|[cm]?ts)$/); // sources, declarations, source maps
      expect(e.path, e.path).not.toMatch(/(^|\/)local\.settings[^/]*\.json$/);
    }
    const present = new Set(entries.map((e) => e.path));
    for (const devPackage of lockPaths(true)) expect(present.has(`${devPackage}/package.json`), devPackage).toBe(false);
  });

  it('holds host.json, a package.json for the worker with nothing to install, and no node_modules', () => {
    const files = new Set(entries.map((e) => e.path));
    expect(files.has('host.json')).toBe(true);
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    const root = JSON.parse(read('package.json')) as { main: string; type: string };
    expect(pkg).toEqual({ name: 'pgaudit-ingest', version: expect.any(String) as unknown, type: root.type, main: root.main, dependencies: {} });
    expect([...files].filter((f) => f.includes('node_modules/'))).toEqual([]);
  });

  it('holds an entry point per function file, the worker it starts, shared chunks, and only production packages inside', () => {
    const files = entries.map((e) => e.path);
    const names = functionNames(ROOT);
    expect(names).toEqual(['blob-created', 'ship-server', 'sweep']);
    expect(built.entryPoints).toEqual(names.map((n) => `dist/functions/${n}.js`));
    for (const w of WORKER_SOURCES) expect(files).toContain(`dist/${w.replace(/\.ts$/, '.js')}`);
    expect(files.filter((f) => f.startsWith('dist/') && !f.startsWith('dist/chunks/')).sort()).toEqual([...built.entryPoints, ...WORKER_SOURCES.map((w) => `dist/${w.replace(/\.ts$/, '.js')}`)].sort());
    const production = new Set(lockPaths(false));
    expect(built.packages.length).toBeGreaterThan(10);
    for (const p of built.packages) expect(production.has(p), p).toBe(true);
  });

  it('starts: loaded from the package alone, the entry points register blobCreated, shipServer and sweep', () => {
    // The stand-in for the host's @azure/functions-core records what registers (test/functions).
    const fakeCore = path.join(ROOT, 'test/functions/fake-functions-core.cjs');
    const script = `for (const f of ${JSON.stringify(built.entryPoints)}) await import('./' + f);`;
    const out = execFileSync(process.execPath, ['--require', fakeCore, '--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH } });
    const line = out.split('\n').find((l) => l.startsWith('@@REGISTERED@@'))!;
    const registered = JSON.parse(line.slice('@@REGISTERED@@'.length)) as { metadata: { name: string } }[];
    // blobCreated is the function the Event Grid webhook names (scripts/azd/postdeploy.sh).
    expect(registered.map((r) => r.metadata.name).sort()).toEqual(['blobCreated', 'shipServer', 'sweep']);
  });
});

describe('the packager refuses what it cannot ship', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'pgaudit-packager-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  // A project with one function file and packages installed as package-lock.json says (or not).
  function project(name: string, source: string, lockPackages: Record<string, { version: string; dev?: boolean; hasInstallScript?: boolean }> = {}): string {
    const dir = path.join(base, name);
    mkdirSync(path.join(dir, 'functions'), { recursive: true });
    writeFileSync(path.join(dir, 'host.json'), '{}');
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module', main: 'dist/functions/*.js' }));
    writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages: { '': {}, ...lockPackages } }));
    writeFileSync(path.join(dir, 'functions/a.ts'), source);
    for (const w of WORKER_SOURCES) {
      mkdirSync(path.dirname(path.join(dir, w)), { recursive: true });
      writeFileSync(path.join(dir, w), 'export {};');
    }
    for (const [key, entry] of Object.entries(lockPackages)) {
      mkdirSync(path.join(dir, key), { recursive: true });
      writeFileSync(path.join(dir, key, 'package.json'), JSON.stringify({ name: key.split('node_modules/').at(-1), version: entry.version, main: 'index.js' }));
      writeFileSync(path.join(dir, key, 'index.js'), 'module.exports = 1;');
    }
    return dir;
  }

  type Lock = Record<string, { version: string; dev?: boolean; hasInstallScript?: boolean }>;
  it.each<{ name: string; source: string; lock?: Lock; installed?: string; error: RegExp }>([
    { name: 'dev-import', source: "import x from 'devtool'; console.log(x);", lock: { 'node_modules/devtool': { version: '1.0.0', dev: true } }, error: /devtool .* is not a production dependency/ },
    { name: 'computed-import', source: 'const m = "./b.js"; await import(m);', error: /dynamic import\(m\) is not a string literal/ },
    { name: 'missing-module', source: "import './gone.js';", error: /gone\.js/ },
    { name: 'stale-install', source: "import x from 'prod'; console.log(x);", lock: { 'node_modules/prod': { version: '2.0.0' } }, installed: '1.0.0', error: /is 1\.0\.0 but package-lock\.json says 2\.0\.0/ },
    { name: 'native', source: "import x from 'prod'; console.log(x);", lock: { 'node_modules/prod': { version: '1.0.0', hasInstallScript: true } }, error: /install script or a platform restriction/ },
    { name: 'a worker left out', source: "import { Worker } from 'node:worker_threads'; new Worker(new URL('./other-worker.js', import.meta.url));", error: /starts the worker other-worker\.js, but the package has no dist\/functions\/other-worker\.js/ },
  ])('$name', async ({ name, source, lock: packages, installed, error }) => {
    const dir = project(name, source, packages);
    if (installed) writeFileSync(path.join(dir, 'node_modules/prod/package.json'), JSON.stringify({ name: 'prod', version: installed, main: 'index.js' }));
    await expect(buildFunctionPackage(dir, path.join(dir, 'out'))).rejects.toThrow(error);
  });

  it('leaves out a dev-only package that a production one requires (absent in production too), and ships', async () => {
    const dir = project('optional-dev', "import x from 'prod'; console.log(x);", { 'node_modules/prod': { version: '1.0.0' }, 'node_modules/colors': { version: '1.0.0', dev: true } });
    writeFileSync(path.join(dir, 'node_modules/prod/index.js'), "let c = null; try { c = require('colors'); } catch {} module.exports = c;");
    const built = await buildFunctionPackage(dir, path.join(dir, 'out'));
    expect(built.packages).toEqual(['node_modules/prod']);
  });
});

describe('the gitignore rules used for .funcignore (as azd applies them)', () => {
  it.each([
    { pattern: 'node_modules', path: 'node_modules', dir: true, ignored: true },
    { pattern: 'node_modules/', path: 'node_modules', dir: false, ignored: false },
    { pattern: '/node_modules', path: 'a/node_modules', dir: true, ignored: false },
    { pattern: '**/node_modules', path: 'a/node_modules', dir: true, ignored: true },
    { pattern: '*.ts', path: 'src/a.ts', dir: false, ignored: true },
    { pattern: '/*.ts', path: 'src/a.ts', dir: false, ignored: false },
    { pattern: 'dist/**/*.map', path: 'dist/src/a.js.map', dir: false, ignored: true },
    { pattern: '*.md\n!README.md', path: 'README.md', dir: false, ignored: false },
  ])('$pattern ~ $path', ({ pattern, path: rel, dir, ignored }) => {
    expect(gitignore(pattern)(rel, dir)).toBe(ignored);
  });

  it('the root .funcignore keeps tooling out of a package built from the repository root', () => {
    const rootEntries = azdZipEntries(ROOT, false).map((e) => e.path);
    for (const p of rootEntries) expect(p, p).toMatch(/^(dist\/|node_modules\/|host\.json$|package\.json$)/);
    expect(rootEntries).toContain('host.json');
    expect(resolveRemoteBuild(ROOT, undefined)).toBe(false); // unset: azd infers local build from it
  });
});

it('the package directory is the one azure.yaml names, and the hook writes it by default', () => {
  expect(read('scripts/package-function.ts')).toContain(`export const PACKAGE_DIR = '${PACKAGE_DIR}'`);
  expect(lockPaths(false).length).toBeGreaterThan(0);
});
