// The app's own files in the deployment package: the entry points named by package.json `main`
// (a glob such as dist/functions/*.js, as the Functions Node.js v4 model reads it) and every
// compiled module they import, followed through static imports, re-exports, literal dynamic
// imports and `new URL('…', import.meta.url)` (worker scripts). Source maps, the CLI and anything
// else under dist/ that the functions never load stay out.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** A module a shipped file imports by package name (not a relative path, not a node: builtin). */
export interface BareImport {
  readonly from: string;
  readonly specifier: string;
}

export interface AppFiles {
  /** Package-relative paths (forward slashes), entry points first. */
  readonly files: string[];
  readonly entryPoints: string[];
  readonly bareImports: BareImport[];
}

const IMPORT_FROM = /^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1/gm;
const SIDE_EFFECT_IMPORT = /^\s*import\s*(['"])([^'"]+)\1/gm;
const DYNAMIC_IMPORT = /\bimport\s*\(\s*([^)]*?)\s*\)/g;
const URL_OF_FILE = /\bnew\s+URL\s*\(\s*(['"])([^'"]+)\1\s*,\s*import\.meta\.url\s*\)/g;
const LITERAL = /^(['"])([^'"]+)\1$/;

/** Files matching package.json `main`: a path, or a path whose last segment has `*` wildcards. */
export function entryPointsOf(root: string, main: string): string[] {
  if (!main.includes('*')) return existsSync(path.join(root, main)) ? [main] : [];
  const dir = path.posix.dirname(main);
  if (dir.includes('*')) throw new Error(`package.json main ${main}: only the file name may hold a wildcard`);
  const pattern = new RegExp(`^${path.posix.basename(main).split('*').map(escapeRegExp).join('[^/]*')}$`);
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs).filter((f) => pattern.test(f)).sort().map((f) => `${dir}/${f}`);
}

/** What one compiled module refers to: module specifiers and worker-script URLs. */
export function referencesOf(source: string, file: string): { specifiers: string[]; urls: string[] } {
  const specifiers = [...source.matchAll(IMPORT_FROM), ...source.matchAll(SIDE_EFFECT_IMPORT)].map((m) => m[2]!);
  for (const m of source.matchAll(DYNAMIC_IMPORT)) {
    const literal = LITERAL.exec(m[1]!);
    // A computed specifier could load anything: the package would be a guess, so refuse it.
    if (!literal) throw new Error(`${file}: dynamic import(${m[1]}) is not a string literal; the packager cannot follow it`);
    specifiers.push(literal[2]!);
  }
  return { specifiers, urls: [...source.matchAll(URL_OF_FILE)].map((m) => m[2]!) };
}

export function appFiles(root: string, main: string): AppFiles {
  const entryPoints = entryPointsOf(root, main);
  if (entryPoints.length === 0) throw new Error(`no file matches package.json main ${main} under ${root} (run npm run build first)`);
  const files: string[] = [];
  const bareImports: BareImport[] = [];
  const queue = [...entryPoints];
  const seen = new Set(queue);
  while (queue.length > 0) {
    const file = queue.shift()!;
    files.push(file);
    const { specifiers, urls } = referencesOf(readFileSync(path.join(root, file), 'utf8'), file);
    for (const spec of [...specifiers, ...urls]) {
      if (spec.startsWith('node:')) continue;
      if (!spec.startsWith('.')) {
        bareImports.push({ from: file, specifier: spec });
        continue;
      }
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      if (!existsSync(path.join(root, target))) throw new Error(`${file} imports ${spec}, but ${target} does not exist`);
      if (!seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return { files, entryPoints, bareImports };
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
export function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
