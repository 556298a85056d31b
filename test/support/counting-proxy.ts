// An HTTP proxy in front of Azurite that counts the storage requests (transactions) a client
// makes, by kind, so a test can measure what a sweep costs.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  /** A connection string whose blob endpoint is the proxy. */
  readonly connectionString: string;
  /** Requests since the last reset, by `METHOD kind` (kind: list, properties, download, upload, lease, other). */
  counts(): Record<string, number>;
  reset(): void;
  close(): Promise<void>;
}

function kindOf(method: string, url: URL): string {
  const comp = url.searchParams.get('comp');
  if (comp === 'list') return 'list';
  if (comp === 'lease') return 'lease';
  if (comp) return comp;
  if (method === 'HEAD') return 'properties';
  if (method === 'GET') return 'download';
  if (method === 'PUT') return 'upload';
  return 'other';
}

export async function startCountingProxy(target: { port: number; connectionString: string }): Promise<CountingProxy> {
  let counts: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const key = `${req.method} ${kindOf(req.method ?? 'GET', url)}`;
    counts[key] = (counts[key] ?? 0) + 1;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      // A connection Azurite reset under load (seen at thousands of requests a second) is tried
      // again, up to three times: the client made one request, and one is counted.
      const attempt = (left: number): void => {
        const upstream = http.request({ host: '127.0.0.1', port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        upstream.on('error', (err) => {
          if (left > 0 && !res.headersSent) return void setTimeout(() => attempt(left - 1), 50);
          res.writeHead(502);
          res.end(String(err));
        });
        upstream.end(body);
      };
      attempt(3);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    connectionString: target.connectionString.replace(/BlobEndpoint=http:\/\/127\.0\.0\.1:\d+/, `BlobEndpoint=http://127.0.0.1:${port}`),
    counts: () => ({ ...counts }),
    reset: () => void (counts = {}),
    close: () => new Promise((r) => server.close(() => r())),
  };
}
