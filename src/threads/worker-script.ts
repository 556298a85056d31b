// The one way the commands and the runs find a worker thread's script, and the one size at which a
// second thread starts to pay: `parse`'s decode thread (src/cli/decode-thread.ts) and a run's range
// thread (src/ship/range-thread.ts) both use them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../package-root.js';

/** Below this many bytes of input, starting a thread (~40 ms) costs more than the second thread saves. */
export const THREAD_MIN_BYTES = 16_000_000;

/**
 * The compiled script `file` of the folder `sourceDir` (e.g. 'src/ship'): next to the module that
 * starts it (`startedFrom`, its import.meta.url) in dist/; else in dist/ at the source's path, where
 * the deployment bundle puts it too and where it is when the starter runs from src/ (tests, tsx).
 */
export function workerScript(file: string, startedFrom: string, sourceDir: string): string {
  const here = fileURLToPath(new URL(`./${file}`, startedFrom));
  return existsSync(here) ? here : join(packageRoot(), 'dist', sourceDir, file);
}
