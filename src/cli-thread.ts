// The CLI in a worker thread with a capped heap (bin/pgaudit-ingest.js starts it for the
// shipping commands). Its stdout and stderr are piped to the process's; its exit code is the
// command's. Open sockets of the SDKs must not keep the thread alive once the command is done.
import { workerData } from 'node:worker_threads';
import { main } from './cli.js';

const { args } = workerData as { args: string[] };
const code = await main(args);
// Let the piped output reach the main thread before the thread ends.
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
process.exit(code);
