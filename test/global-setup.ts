// Compiles src/ to dist/ once before the tests, so the CLI runs as a user runs it
// (bin/pgaudit-ingest.js → dist/) even when vitest is started on its own.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '..');
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
}
