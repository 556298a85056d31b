// The `ship` summary counts accepted requests, not attempts, and names what stopped.
import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../src/cli/ship-command.js';
import { emptyStats } from '../../src/pipeline/stats.js';
import type { ShippingSummary } from '../../src/ship/shipping-run.js';

const summary = (over: Partial<ShippingSummary>): ShippingSummary => ({
  servers: 1, busyServers: [], notStarted: [], blobs: [], ranges: [], stats: emptyStats(), shipped: 0, deadLettered: 0, lateBytes: 0,
  requests: 0, acceptedRequests: 0, acceptedBytes: 0, errors: [], notices: [], stoppedBy: null, budgetSpent: false, durationMs: 1000, ...over,
});

describe('formatSummary', () => {
  it('MB per request is over accepted requests; retried attempts are counted apart', () => {
    const text = formatSummary(summary({ requests: 5, acceptedRequests: 2, acceptedBytes: 1_800_000 }));
    expect(text).toMatch(/2 upload request\(s\) accepted, 1\.80 MB, 0\.90 MB per request; 3 attempt\(s\) failed or were retried/);
  });

  it('lists each error with its hint, the servers not started, and a spent budget', () => {
    const text = formatSummary(
      summary({
        errors: [{ server: 'srv/', code: 'IngestionUnavailable', message: 'upload failed 6 times', hint: 'check the endpoint' }],
        notStarted: ['a/', 'b/'],
        stoppedBy: Object.assign(new Error('x'), { code: 'IngestionUnavailable' }) as never,
      }),
    );
    expect(text).toMatch(/error: srv\/: upload failed 6 times \(check the endpoint\)/);
    expect(text).toMatch(/the run stopped; 2 server\(s\) not started: a\/, b\//);
    expect(formatSummary(summary({ budgetSpent: true, notStarted: ['c/'] }))).toMatch(/time budget .* was spent; 1 server\(s\) not started: run again/);
  });
});
