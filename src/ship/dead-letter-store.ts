// Rows the Logs Ingestion API would not take, kept with enough context to replay them:
// `deadletter/<day>/<server>/<start>-<end>-<id>.ndjson` in the dead-letter container, whose first
// line describes the failure (reason, HTTP status, response body, source blob and byte range)
// and whose other lines are the rows, exactly as they were sent.
import { randomUUID } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { LineSplitter } from '../read/line-splitter.js';
import { parseBlobPath, serverNameOfPath } from '../read/blob-path.js';
import { DEAD_LETTER_VERSION, readDeadLetterHeader, type DeadLetterHeader } from '../state/documents.js';
import { StateDocumentError } from '../errors/state-document-error.js';
import { serializedLine, type SerializedRow } from './serialized-rows.js';

export type { DeadLetterHeader };

export class DeadLetterStore {
  constructor(readonly container: ContainerClient) {}

  async ensureContainer(): Promise<void> {
    await this.container.createIfNotExists();
  }

  async write(rows: readonly SerializedRow[], info: Omit<DeadLetterHeader, 'pgauditDeadLetter' | 'rows' | 'createdAt'>): Promise<string> {
    const header: DeadLetterHeader = { pgauditDeadLetter: DEAD_LETTER_VERSION, ...info, rows: rows.length, createdAt: new Date().toISOString() };
    const server = serverNameOfPath(parseBlobPath(info.sourceBlob).serverPath) || 'local';
    const name = `deadletter/${header.createdAt.slice(0, 10)}/${server}/${info.range.start}-${info.range.end}-${randomUUID()}.ndjson`;
    const body = [JSON.stringify(header), ...rows.map((r) => r.json)].join('\n') + '\n';
    await this.container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/x-ndjson' } });
    return name;
  }

  async *list(): AsyncGenerator<string> {
    for await (const item of this.container.listBlobsFlat({ prefix: 'deadletter/' })) yield item.name;
  }

  /** Streams a dead-letter blob: its header, then its rows (as they were sent) in batches. */
  async read(name: string, onHeader: (h: DeadLetterHeader) => void, onRows: (rows: SerializedRow[]) => Promise<void>, batchRows = 2000): Promise<void> {
    const res = await this.container.getBlobClient(name).download();
    const splitter = new LineSplitter();
    let header: DeadLetterHeader | null = null;
    let batch: SerializedRow[] = [];
    const take = async (text: string): Promise<void> => {
      if (text.trim() === '') return;
      if (!header) {
        header = readDeadLetterHeader(name, text);
        onHeader(header);
        return;
      }
      batch.push(rowOf(name, text));
      if (batch.length >= batchRows) {
        await onRows(batch);
        batch = [];
      }
    };
    for await (const chunk of res.readableStreamBody ?? []) {
      for (const line of splitter.push(chunk as Buffer)) await take(line.text);
    }
    const last = splitter.end(true);
    if (last) await take(last.text);
    if (batch.length) await onRows(batch);
  }

  async delete(name: string): Promise<void> {
    await this.container.getBlobClient(name).deleteIfExists();
  }
}

/** A dead-lettered row: a JSON object, sent again exactly as it was written. */
function rowOf(name: string, text: string): SerializedRow {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new StateDocumentError(name, `holds a row that is not valid JSON (${(err as Error).message})`, { hint: 'restore the file from its original, or move it out of the dead-letter container', cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StateDocumentError(name, 'holds a line that is not a row object', { hint: 'restore the file from its original, or move it out of the dead-letter container' });
  }
  const offset = (value as { SourceOffset?: unknown }).SourceOffset;
  return serializedLine(text, typeof offset === 'number' ? offset : null);
}
