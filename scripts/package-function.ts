// Builds the Flex Consumption deployment package that azd zips and uploads: azure.yaml points the
// service at it (`dist: dist/function-app`, `remoteBuild: false`) and runs this script as the
// service's prepackage hook. The package holds only what the Functions host and the app load:
//   host.json, a package.json reduced to what the Node.js worker reads (type, main; no
//   dependencies: the bundle carries them), and the function entry points bundled by esbuild from
//   the sources with their dependencies (scripts/package/bundle.ts).
// No tests, scripts, tools, TypeScript sources, infra, docs, node_modules or dev dependencies.
//   tsx scripts/package-function.ts [--out DIR]
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleFunctions, FUNCTION_SOURCES } from './package/bundle.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where azd takes the package from (azure.yaml `dist`, relative to the service project). */
export const PACKAGE_DIR = 'dist/function-app';
/** package.json `main`: the glob the Node.js v4 worker loads, the outputs of functions/*.ts. */
export const FUNCTIONS_MAIN = 'dist/functions/*.js';

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
  /** The npm packages bundled in. */
  readonly packages: string[];
}

/** The package.json the worker reads: no scripts (nothing may run on the server), nothing to install. */
export function deployedPackageJson(source: PackageJson): PackageJson {
  const { name, version, type, main } = source;
  return { name, version, ...(type ? { type } : {}), main, dependencies: {} };
}

/** The functions to bundle: one per functions/*.ts, named by its file. */
export function functionNames(root: string): string[] {
  return readdirSync(path.join(root, FUNCTION_SOURCES)).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
}

/** Writes the package into `outDir` (emptied first) from the sources at `root`. */
export async function buildFunctionPackage(root: string, outDir: string): Promise<FunctionPackage> {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as PackageJson;
  if (pkg.main !== FUNCTIONS_MAIN) throw new Error(`package.json main is ${pkg.main}; the packager writes the functions to ${FUNCTIONS_MAIN}`);
  const names = functionNames(root);
  if (names.length === 0) throw new Error(`no function under ${FUNCTION_SOURCES}/`);
  rmSync(outDir, { recursive: true, force: true });
  const app = await bundleFunctions(root, outDir, names);
  copyFileSync(path.join(root, 'host.json'), path.join(outDir, 'host.json'));
  writeFileSync(path.join(outDir, 'package.json'), `${JSON.stringify(deployedPackageJson(pkg), null, 2)}\n`);
  return { dir: outDir, files: [...app.files, 'host.json', 'package.json'].sort(), entryPoints: app.entryPoints, packages: app.packages };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: PACKAGE_DIR } } });
  const out = path.resolve(ROOT, values.out);
  const built = await buildFunctionPackage(ROOT, out);
  console.error(`package-function: ${built.files.length} files in ${path.relative(ROOT, out)} (entry points: ${built.entryPoints.join(', ')}; ${built.packages.length} npm packages bundled)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
