// What azd does with a `host: function`, `language: js` service, restated from its source so the
// package test can build the zip "as azd would" without azd (Azure/azure-dev, cli/azd/pkg/project):
// - project_utils.go createDeployableZip: walks the package directory (the service's `dist`);
//   always leaves out `.azure` directories, the ignore file itself and local.settings.json; applies
//   `<package dir>/.funcignore` (gitignore syntax) when it exists, else for JavaScript leaves out
//   node_modules unless `remoteBuild: false`.
// - service_target_functionapp.go resolveFunctionAppRemoteBuild (azd ≥ 1.23.12): reads
//   `<project>/.funcignore`; with remoteBuild unset, remote build is on only when it excludes
//   node_modules; `remoteBuild: false` with a .funcignore that excludes node_modules is an error.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';

export interface ZipEntry {
  readonly path: string;
  readonly size: number;
}

interface Rule {
  readonly negate: boolean;
  readonly dirOnly: boolean;
  readonly re: RegExp;
}

/** A gitignore pattern as a regular expression over slash-separated relative paths. */
function patternRegExp(pattern: string): RegExp {
  // A slash at the start or in the middle anchors the pattern to the ignore file's directory.
  const anchored = pattern.includes('/');
  const p = pattern.replace(/^\//, '');
  let re = '';
  for (let i = 0; i < p.length; i++) {
    if (p.startsWith('**/', i)) {
      re += '(?:.*/)?';
      i += 2;
    } else if (p.startsWith('/**', i) && i + 3 === p.length) {
      re += '/.*';
      i += 2;
    } else if (p[i] === '*') re += '[^/]*';
    else if (p[i] === '?') re += '[^/]';
    else re += p[i]!.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${anchored ? '' : '(?:.*/)?'}${re}$`);
}

/** The gitignore syntax .funcignore files use: comments, `!`, trailing `/`, anchors, `*`, `**`, `?`.
 * The last matching rule decides; a path inside an ignored directory is never reached. */
export function gitignore(text: string): (rel: string, isDir: boolean) => boolean {
  const rules: Rule[] = [];
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    let line = raw.trimEnd();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1);
    const dirOnly = line.endsWith('/');
    rules.push({ negate, dirOnly, re: patternRegExp(dirOnly ? line.slice(0, -1) : line) });
  }
  return (rel, isDir) => {
    let ignored = false;
    for (const r of rules) if ((!r.dirOnly || isDir) && r.re.test(rel)) ignored = !r.negate;
    return ignored;
  };
}

/** resolveFunctionAppRemoteBuild for a JavaScript service. */
export function resolveRemoteBuild(projectDir: string, remoteBuild: boolean | undefined): boolean {
  const file = path.join(projectDir, '.funcignore');
  if (!existsSync(file)) return remoteBuild ?? true;
  const nodeModulesExcluded = gitignore(readFileSync(file, 'utf8'))('node_modules', true);
  if (remoteBuild === undefined) return nodeModulesExcluded;
  if (remoteBuild && !nodeModulesExcluded) throw new Error("'remoteBuild: true' requires '.funcignore' to exclude node_modules");
  if (!remoteBuild && nodeModulesExcluded) throw new Error("'remoteBuild: false' cannot be used when '.funcignore' excludes node_modules");
  return remoteBuild;
}

/** The entries of the zip createDeployableZip writes for the package directory `root`. */
export function azdZipEntries(root: string, remoteBuild: boolean | undefined): ZipEntry[] {
  const ignoreFile = path.join(root, '.funcignore');
  const ignored = existsSync(ignoreFile) ? gitignore(readFileSync(ignoreFile, 'utf8')) : null;
  const out: ZipEntry[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      const isDir = e.isDirectory() || (e.isSymbolicLink() && statSync(path.join(root, child)).isDirectory());
      if ((isDir && e.name === '.azure') || (!isDir && (e.name === '.funcignore' || e.name === 'local.settings.json'))) continue;
      if (ignored ? ignored(child, isDir) : isDir && e.name === 'node_modules' && remoteBuild !== false) continue;
      if (isDir) walk(child);
      else out.push({ path: child, size: statSync(path.join(root, child)).size });
    }
  };
  walk('');
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** Size of the zip azd would upload: deflated data plus the local and central directory headers. */
export function zipSize(root: string, entries: readonly ZipEntry[]): number {
  let total = 22; // end of central directory
  for (const e of entries) total += deflateRawSync(readFileSync(path.join(root, e.path))).length + 30 + 46 + 2 * Buffer.byteLength(e.path);
  return total;
}
