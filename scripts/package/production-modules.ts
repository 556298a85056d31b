// The production node_modules of the deployment package: exactly the packages package-lock.json
// does not mark `dev` (what `npm ci --omit=dev` installs), copied from the installed tree, so no
// network is needed and the versions are the ones the tests ran against. Files Node.js never loads
// from node_modules are left out: source maps, TypeScript declarations and sources (Node.js does
// not strip types under node_modules) and Markdown docs; licence files stay.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  link?: boolean;
  hasInstallScript?: boolean;
  os?: string[];
  cpu?: string[];
}

export interface ModuleFile {
  /** Package-relative path, e.g. node_modules/zod/package.json. */
  readonly path: string;
  readonly size: number;
}

/** Why a file under node_modules is not shipped, or null when it is. */
export function prunedBecause(file: string): string | null {
  const name = path.posix.basename(file);
  if (name.endsWith('.map')) return 'source map';
  if (/\.d\.[cm]?ts$/.test(name)) return 'type declarations';
  if (/\.[cm]?ts$/.test(name)) return 'TypeScript source';
  if (/\.md$/i.test(name) && !/^(licen[cs]e|notice)/i.test(name)) return 'documentation';
  return null;
}

/** Lockfile paths of the production packages, checked against what is installed. */
export function productionPackages(root: string): string[] {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { lockfileVersion: number; packages: Record<string, LockEntry> };
  if (lock.lockfileVersion < 2) throw new Error('package-lock.json must be lockfileVersion 2 or 3 (npm 7+): the packager reads its `packages` map');
  const out: string[] = [];
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key === '' || entry.dev || entry.link) continue;
    const installed = path.join(root, key, 'package.json');
    if (!existsSync(installed)) {
      if (entry.optional) continue; // an optional dependency the platform skipped
      throw new Error(`${key} (production dependency) is not installed: run npm ci`);
    }
    const version = (JSON.parse(readFileSync(installed, 'utf8')) as { version: string }).version;
    if (version !== entry.version) throw new Error(`${key} is ${version} but package-lock.json says ${entry.version}: run npm ci`);
    // A prebuilt package is built on the deployer's machine and runs on Linux: anything
    // platform-specific would be wrong there (use remoteBuild: true in azure.yaml for such a dependency).
    if (entry.hasInstallScript || entry.os || entry.cpu) throw new Error(`${key} has an install script or a platform restriction; it cannot be prebuilt on this machine for Flex Consumption (Linux)`);
    out.push(key);
  }
  return out.sort();
}

/** Every shipped file of the production packages (nested node_modules are their own lockfile entries). */
export function productionModuleFiles(root: string): ModuleFile[] {
  const files: ModuleFile[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(child);
      } else if (e.isFile()) {
        if (e.name.endsWith('.node')) throw new Error(`${child} is a native addon; it cannot be prebuilt on this machine for Flex Consumption (Linux)`);
        if (prunedBecause(child) === null) files.push({ path: child, size: statSync(path.join(root, child)).size });
      }
    }
  };
  for (const pkg of productionPackages(root)) walk(pkg);
  return files;
}
