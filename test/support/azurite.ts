// Starts a real Azurite blob service (npm package) on a free port, in memory, for one test file.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface AzuriteHandle {
  readonly port: number;
  readonly blobEndpoint: string;
  readonly connectionString: string;
  close(): Promise<void>;
}

const ACCOUNT = 'devstoreaccount1';
// Azurite's published development key (not a secret).
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const BIN = path.resolve(import.meta.dirname, '../../node_modules/.bin/azurite-blob');

export async function startAzurite(timeoutMs = 20_000): Promise<AzuriteHandle> {
  const child = spawn(
    BIN,
    ['--blobHost', '127.0.0.1', '--blobPort', '0', '--inMemoryPersistence', '--skipApiVersionCheck', '--loose', '--disableTelemetry'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`Azurite did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const m = /listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', fail);
    child.on('exit', (code) => fail(new Error(`Azurite exited (${code}) before listening:\n${output}`)));
  });
  child.removeAllListeners('exit');
  const blobEndpoint = `http://127.0.0.1:${port}/${ACCOUNT}`;
  return {
    port,
    blobEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};BlobEndpoint=${blobEndpoint};`,
    close: () => stop(child),
  };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}
