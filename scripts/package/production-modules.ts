// The production dependencies the bundle may hold: exactly the packages package-lock.json does not
// mark `dev` (what `npm ci --omit=dev` installs), checked against the installed tree the bundler
// reads, so the package carries the versions the tests ran against.
import { existsSync, readFileSync } from 'node:fs';
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
