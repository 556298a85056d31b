// Builds the Flex Consumption deployment package that azd zips and uploads: azure.yaml points the
// service at it (`dist: dist/function-app`, `remoteBuild: false`) and runs this script as the
// service's prepackage hook. The package holds only what the Functions host and the app load:
//   host.json, a package.json reduced to what the Node.js worker reads (type, main, dependencies),
//   the compiled entry points and the modules they import (scripts/package/app-files.ts), and the
//   production node_modules of package-lock.json (scripts/package/production-modules.ts).
// No tests, scripts, tools, TypeScript sources, infra, docs or dev dependencies.
//   tsx scripts/package-function.ts [--out DIR] [--no-build]
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { appFiles, packageNameOf } from './package/app-files.js';
import { productionModuleFiles } from './package/production-modules.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where azd takes the package from (azure.yaml `dist`, relative to the service project). */
export const PACKAGE_DIR = 'dist/function-app';

interface PackageJson {
  name: string;
  version: string;
  type?: string;
  main: string;
  dependencies?: Record<string, string>;
}

export interface FunctionPackage {
  readonly dir: string;
  /** Package-relative paths of every file written, sorted. */
  readonly files: string[];
  readonly entryPoints: string[];
}

/** The package.json the worker reads: no scripts (nothing may run on the server), no dev dependencies. */
export function deployedPackageJson(source: PackageJson): PackageJson {
  const { name, version, type, main, dependencies } = source;
  return { name, version, ...(type ? { type } : {}), main, dependencies: dependencies ?? {} };
}

/** Writes the package into `outDir` (emptied first) from the built tree at `root`. */
export function buildFunctionPackage(root: string, outDir: string): FunctionPackage {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as PackageJson;
  const app = appFiles(root, pkg.main);
  const declared = new Set(Object.keys(pkg.dependencies ?? {}));
  for (const { from, specifier } of app.bareImports) {
    if (!declared.has(packageNameOf(specifier))) throw new Error(`${from} imports ${specifier}, which is not in package.json dependencies (a dev dependency is not deployed)`);
  }
  rmSync(outDir, { recursive: true, force: true });
  const copied = [...app.files, 'host.json', ...productionModuleFiles(root).map((f) => f.path)];
  for (const rel of copied) {
    mkdirSync(path.dirname(path.join(outDir, rel)), { recursive: true });
    copyFileSync(path.join(root, rel), path.join(outDir, rel));
  }
  writeFileSync(path.join(outDir, 'package.json'), `${JSON.stringify(deployedPackageJson(pkg), null, 2)}\n`);
  return { dir: outDir, files: [...copied, 'package.json'].sort(), entryPoints: app.entryPoints };
}

function main(): void {
  const { values } = parseArgs({ options: { out: { type: 'string', default: PACKAGE_DIR }, 'no-build': { type: 'boolean', default: false } } });
  if (!values['no-build']) {
    // azd's Node.js packaging may skip its own build step when dependencies are up to date, so the
    // hook compiles first: the package must never carry stale JavaScript.
    const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  const out = path.resolve(ROOT, values.out);
  const built = buildFunctionPackage(ROOT, out);
  console.error(`package-function: ${built.files.length} files in ${path.relative(ROOT, out)} (entry points: ${built.entryPoints.join(', ')})`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
