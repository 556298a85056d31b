// The app's code in the deployment package: the function entry points (and the worker script they
// start) bundled by esbuild from the TypeScript sources, with every dependency inside, so the
// package is a handful of files instead of thousands under node_modules: the host loads and the
// platform mounts far less at a cold start (docs/performance.md). Shared code is split into
// chunks, so the three entry points load it once.
//   - `@azure/functions-core` stays external: the Functions Node.js worker provides it at run time
//     (it is not on npm; Azure/azure-functions-nodejs-library#201 says to mark it external).
//   - CommonJS dependencies call require() for Node.js built-ins; an ES module has no require, so
//     each output file starts with one made by createRequire.
//   - A warning (a dynamic import the bundler cannot follow, a missing file) fails the build: it
//     would fail at run time in Azure instead.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';
import { productionPackages } from './production-modules.js';

/** Sources of the function entry points; package.json `main` names their outputs (dist/functions/*.js). */
export const FUNCTION_SOURCES = 'functions';
/** Worker scripts the functions start (new Worker), bundled like an entry point, at their dist/ path. */
export const WORKER_SOURCES = ['src/ship/range-worker.ts'] as const;

const REQUIRE_BANNER = "import { createRequire as __pgauditCreateRequire } from 'node:module'; const require = __pgauditCreateRequire(import.meta.url);";

export interface BundledApp {
  /** Package-relative paths of the files written, sorted. */
  readonly files: string[];
  readonly entryPoints: string[];
  /** The npm packages bundled in (by lockfile path, e.g. node_modules/zod). */
  readonly packages: string[];
}

/** `node_modules/@scope/name/x.js` → `node_modules/@scope/name` (nested node_modules kept). */
function packageOf(input: string): string | null {
  const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  return m ? m[1]! : null;
}

/**
 * Worker scripts a bundled module starts, where the package must hold them: workerScript('x.js',
 * import.meta.url, 'src/dir') looks in dist/src/dir/; new URL('./x.js', import.meta.url) next to the module.
 */
function workersNamedIn(source: string, input: string): string[] {
  if (!source.includes('new Worker(')) return [];
  return [...source.matchAll(/workerScript\(\s*'([^']+)'\s*,\s*import\.meta\.url\s*,\s*'([^']+)'\s*\)|new URL\(\s*[`'"]\.\/([^`'"$]+)[`'"]\s*,\s*import\.meta\.url\s*\)/g)].map((m) =>
    m[1] ? path.posix.join('dist', m[2]!, m[1]) : path.posix.join('dist', path.posix.dirname(input), m[3]!),
  );
}

/**
 * The package as `npm ci --omit=dev` would install it: a dev-only package that a production
 * dependency requires (debug's optional supports-color, in a try/catch) stays out, as it would be
 * absent there; one the app's own code imports is an error (it would not be deployed).
 */
function productionOnly(root: string, production: ReadonlySet<string>): Plugin {
  return {
    name: 'production-only',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === 'resolving' || args.path.startsWith('node:') || args.path === '@azure/functions-core') return undefined;
        const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'resolving' });
        if (r.errors.length > 0 || r.external || !r.path) return undefined; // esbuild reports it
        const pkg = packageOf(path.relative(root, r.path).split(path.sep).join('/'));
        if (pkg === null || production.has(pkg)) return r;
        if (args.importer.includes(`${path.sep}node_modules${path.sep}`)) return { path: args.path, external: true };
        return { errors: [{ text: `${args.path} (${pkg}) is imported by the app but is not a production dependency in package-lock.json (a dev dependency is not deployed)` }] };
      });
    },
  };
}

export async function bundleFunctions(root: string, outDir: string, functionNames: readonly string[]): Promise<BundledApp> {
  const production = new Set(productionPackages(root));
  const entryPoints = [
    ...functionNames.map((name) => ({ in: path.join(root, FUNCTION_SOURCES, `${name}.ts`), out: `dist/functions/${name}` })),
    ...WORKER_SOURCES.map((src) => ({ in: path.join(root, src), out: path.posix.join('dist', src.replace(/\.ts$/, '')) })),
  ];
  const result = await build({
    absWorkingDir: root,
    entryPoints,
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: 'dist/chunks/[name]-[hash]',
    external: ['@azure/functions-core'],
    banner: { js: REQUIRE_BANNER },
    legalComments: 'none',
    metafile: true,
    logLevel: 'silent',
    plugins: [productionOnly(root, production)],
  });
  if (result.warnings.length > 0) {
    throw new Error(`the bundle would fail at run time:\n${result.warnings.map((w) => `  ${w.location ? `${w.location.file}:${w.location.line}: ` : ''}${w.text}`).join('\n')}`);
  }
  const meta: Metafile = result.metafile;
  const files = Object.keys(meta.outputs).map((o) => path.relative(outDir, path.resolve(root, o)).split(path.sep).join('/')).sort();
  const inputs = Object.keys(meta.inputs);

  // Only production dependencies, at the versions package-lock.json names (checked on the installed tree).
  const packages = [...new Set(inputs.map(packageOf).filter((p): p is string => p !== null))].sort();
  for (const p of packages) if (!production.has(p)) throw new Error(`${p} is bundled into the functions but is not a production dependency in package-lock.json (a dev dependency is not deployed)`);

  // Every worker a bundled module starts is in the package where that module looks for it, and no
  // module of the app imports a computed name (the bundler leaves it to run time, where the file is absent).
  for (const input of inputs.filter((i) => !i.includes('node_modules/'))) {
    const source = readFileSync(path.join(root, input), 'utf8');
    const computed = /\bimport\s*\(\s*(?!['"`])([^)]*)\)/.exec(source);
    if (computed) throw new Error(`${input}: dynamic import(${computed[1]}) is not a string literal; the bundler cannot follow it`);
    for (const expected of workersNamedIn(source, input)) {
      if (!files.includes(expected)) throw new Error(`${input} starts the worker ${path.posix.basename(expected)}, but the package has no ${expected}: add its source to WORKER_SOURCES`);
    }
  }
  return { files, entryPoints: entryPoints.slice(0, functionNames.length).map((e) => `${e.out}.js`), packages };
}
