// The planning summary in a server document's metadata (src/state/server-metadata.ts): it reads
// back as the checkpoints it summarises, and is left out where it could not (the planner then
// reads the document).
import { describe, expect, it } from 'vitest';
import { hourlyBlobName } from '../../src/read/blob-path.js';
import { serverMetadata, summaryOfMetadata } from '../../src/state/server-metadata.js';

const server = 'resourceId=/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.DBFORPOSTGRESQL/FLEXIBLESERVERS/PG-Ü/';
const cp = (offset: number, createdOn: string | null) => ({ offset, length: offset, etag: null, createdOn, rows: 1, deadLettered: 0, updatedAt: '2026-12-01T00:00:00.000Z', settledLength: null });

describe('server document metadata', () => {
  it('round-trips the checkpoints (offset, creation time) of the hourly blobs', () => {
    const blobs = {
      [hourlyBlobName(server, new Date('2026-12-01T05:00:00Z'))]: cp(1234, '2026-12-01T05:00:01.000Z'),
      [hourlyBlobName(server, new Date('2026-12-02T23:00:00Z'))]: cp(0, null),
    };
    const meta = serverMetadata({ serverPath: server, blobs });
    expect(Object.values(meta).every((v) => /^[\x20-\x7e]*$/.test(v))).toBe(true);
    expect(summaryOfMetadata(meta)).toEqual({ serverPath: server, checkpoints: Object.fromEntries(Object.entries(blobs).map(([n, c]) => [n, { offset: c.offset, createdOn: c.createdOn }])) });
    expect(summaryOfMetadata(serverMetadata({ serverPath: server, blobs: {} }))).toEqual({ serverPath: server, checkpoints: {} });
  });

  it('leaves the checkpoints out when a blob is not the server’s hourly blob, or there are too many; reads nothing from foreign metadata', () => {
    expect(summaryOfMetadata(serverMetadata({ serverPath: server, blobs: { [`${server}other.json`]: cp(1, null) } }))).toBeNull();
    const many = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [hourlyBlobName(server, new Date(Date.UTC(2026, 0, 1, i))), cp(10_000_000 + i, '2026-01-01T00:00:00.000Z')]));
    expect(summaryOfMetadata(serverMetadata({ serverPath: server, blobs: many }))).toBeNull();
    expect(summaryOfMetadata(undefined)).toBeNull();
    expect(summaryOfMetadata({ pgauditplan: '1', serverpath: 'x', checkpoints: 'garbage' })).toBeNull();
  });
});
