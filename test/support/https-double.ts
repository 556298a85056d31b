// The HTTPS server the local service doubles (Logs Ingestion, Logs Query) run on: a self-signed
// certificate for 127.0.0.1/localhost with its own subject (two certificates of the same subject in
// one CA file would be taken for each other's issuer), a handler whose failure answers 500 in the
// services' error shape, an ephemeral port, and a close that ends open connections.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import selfsigned from 'selfsigned';

export interface HttpsDouble {
  /** `https://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** The certificate (PEM) a client must trust. */
  readonly ca: string;
  close(): Promise<void>;
}

export async function startHttpsDouble(subject: string, handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<HttpsDouble> {
  const pems = selfsigned.generate([{ name: 'commonName', value: subject }], {
    days: 1,
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  const server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'TestDoubleFailure', message: String(err) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `https://127.0.0.1:${port}`,
    ca: pems.cert,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
