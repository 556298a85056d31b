// The Bicep CLI for the infra tests: .tools/bicep (scripts/install-bicep.sh) or bicep on PATH.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const INFRA = path.join(ROOT, 'infra');

export function bicepPath(): string | null {
  const local = path.join(ROOT, '.tools/bicep');
  if (existsSync(local)) return local;
  const onPath = spawnSync('bicep', ['--version'], { encoding: 'utf8' });
  return onPath.status === 0 ? 'bicep' : null;
}

export function runBicep(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const bin = bicepPath();
  if (!bin) throw new Error('Bicep CLI not found (run scripts/install-bicep.sh)');
  const r = spawnSync(bin, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function bicepFiles(dir = INFRA): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? bicepFiles(path.join(dir, e.name)) : e.name.endsWith('.bicep') ? [path.join(dir, e.name)] : [],
  );
}

/** Compiled ARM JSON of a Bicep file. */
export function armOf(file: string): Record<string, unknown> {
  const r = runBicep(['build', file, '--stdout']);
  if (r.status !== 0) throw new Error(`bicep build ${file} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}
