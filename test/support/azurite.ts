// Starts a real Azurite blob service (the npm package in node_modules) on a free port, in memory;
// startAzuriteQueue starts its queue service (azurite-queue, same package) the same way.
//
//   const azurite = await startAzurite();          // beforeAll
//   BlobServiceClient.fromConnectionString(azurite.connectionString)
//   await azurite.close();                         // afterAll
//
// Azurite prints "Azurite Blob service successfully listens on http://127.0.0.1:<port>" on stdout
// even with --silent (--silent only turns the access log off), so the port is read from there.
// The process runs in its own process group: close() signals the whole group (SIGTERM, then
// SIGKILL after 3 s) and resolves once it has exited. If a test never calls close(), an exit hook
// kills the group, and a watchdog preloaded into Azurite exits when this process's end of its
// stdin pipe closes (the worker died or was killed).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface AzuriteHandle {
  readonly port: number;
  /** `http://127.0.0.1:<port>/devstoreaccount1` */
  readonly blobEndpoint: string;
  /** Shared-key connection string for devstoreaccount1 (usable by BlobServiceClient.fromConnectionString). */
  readonly connectionString: string;
  /** The process id (the process group id too). */
  readonly pid: number;
  /** Everything Azurite wrote to stdout/stderr so far (for diagnostics). */
  output(): string;
  close(): Promise<void>;
}

export interface AzuriteOptions {
  /** How long to wait for the "listens on" line (default 15 s). */
  readonly timeoutMs?: number;
  /** Port to listen on (default 0: a free one). */
  readonly port?: number;
  /** Extra command-line arguments (e.g. ['--debug', '/tmp/azurite-debug.log']). */
  readonly extraArgs?: readonly string[];
}

export const AZURITE_ACCOUNT = 'devstoreaccount1';
/** Azurite's published development key (documented, not a secret). */
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const BIN = path.resolve(import.meta.dirname, '../../node_modules/.bin/azurite-blob');
const QUEUE_BIN = path.resolve(import.meta.dirname, '../../node_modules/.bin/azurite-queue');
// Preloaded into Azurite: exit when our end of its stdin closes, i.e. when this process is gone
// even if it was killed without running exit hooks (vitest ends workers with signals).
const WATCHDOG = `data:text/javascript,process.stdin.on('end',()=>process.exit(0)).resume()`;
const LISTENS = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/;

/** The blob service's connection string; with `queuePort`, the queue service's endpoint too. */
export function azuriteConnectionString(port: number, queuePort?: number): string {
  const queue = queuePort === undefined ? '' : `QueueEndpoint=http://127.0.0.1:${queuePort}/${AZURITE_ACCOUNT};`;
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};${queue}`;
}

export interface AzuriteQueueHandle {
  readonly port: number;
  /** `http://127.0.0.1:<port>/devstoreaccount1` */
  readonly queueEndpoint: string;
  /** Shared-key connection string naming only the queue endpoint (QueueServiceClient.fromConnectionString). */
  readonly connectionString: string;
  readonly pid: number;
  output(): string;
  close(): Promise<void>;
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteHandle> {
  const { port, handle } = await startService(BIN, ['--blobHost', '127.0.0.1', '--blobPort', String(options.port ?? 0)], options);
  const blobEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  return { ...handle, port, blobEndpoint, connectionString: azuriteConnectionString(port) };
}

/** Azurite's queue service (the same package's azurite-queue), in memory, on a free port. */
export async function startAzuriteQueue(options: AzuriteOptions = {}): Promise<AzuriteQueueHandle> {
  const { port, handle } = await startService(QUEUE_BIN, ['--queueHost', '127.0.0.1', '--queuePort', String(options.port ?? 0)], options);
  const queueEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  return { ...handle, port, queueEndpoint, connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};QueueEndpoint=${queueEndpoint};` };
}

async function startService(bin: string, listen: readonly string[], options: AzuriteOptions): Promise<{ port: number; handle: Pick<AzuriteHandle, 'pid' | 'output' | 'close'> }> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  // In-memory persistence writes no data files (and refuses --location); running in a temporary
  // directory keeps any stray file (e.g. a relative --debug log) out of the repository.
  const cwd = mkdtempSync(path.join(tmpdir(), 'azurite-'));
  const args = [
    ...listen, '--inMemoryPersistence', '--silent', '--skipApiVersionCheck', '--loose', '--disableTelemetry',
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, ['--import', WATCHDOG, realpathSync(bin), ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const onProcessExit = (): void => killGroup('SIGKILL');
  process.once('exit', onProcessExit);
  child.stdout.on('data', (c: Buffer) => void (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => void (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => {
    process.removeListener('exit', onProcessExit);
    rmSync(cwd, { recursive: true, force: true });
  });
  const describe = (): string => `${bin} ${args.join(' ')}\n--- stderr ---\n${stderr}\n--- stdout ---\n${stdout}`;

  const port = await new Promise<number>((resolve, reject) => {
    const done = (err: Error | null, value?: number): void => {
      clearTimeout(timer);
      clearInterval(poll);
      child.removeListener('error', onError);
      child.removeListener('exit', onExit);
      if (err) {
        killGroup('SIGKILL');
        reject(err);
      } else resolve(value!);
    };
    const check = (): void => {
      const m = LISTENS.exec(stdout);
      if (m) done(null, Number(m[1]));
    };
    const onError = (err: Error): void => done(new Error(`Azurite could not be spawned: ${err.message}\n${describe()}`, { cause: err }));
    const onExit = (code: number | null, signal: string | null): void => done(new Error(`Azurite exited (code ${code}, signal ${signal}) before listening:\n${describe()}`));
    const timer = setTimeout(() => done(new Error(`Azurite did not start within ${timeoutMs} ms:\n${describe()}`)), timeoutMs);
    const poll = setInterval(check, 20);
    child.on('error', onError);
    child.on('exit', onExit);
  });

  return { port, handle: { pid: child.pid!, output: () => `${stdout}${stderr}`, close: () => stop(child, exited, killGroup) } };
}

function stop(child: ChildProcess, exited: Promise<void>, killGroup: (s: NodeJS.Signals) => void): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    killGroup('SIGTERM');
    const force = setTimeout(() => killGroup('SIGKILL'), 3000);
    void exited.then(() => clearTimeout(force));
  }
  return exited;
}
