// host.json's queue settings (extensions.queues) are the ones docs/deploy.md documents, with a
// reason each, and they fit the run's time limits: a message stays invisible while its run lasts,
// a failed one comes back after the server's lease has expired, and an instance takes no more
// servers at once than one run ships in parallel by default.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config/settings-model.js';
import { ROOT } from './bicep.js';

type Queues = Record<string, string | number>;
const host = JSON.parse(readFileSync(path.join(ROOT, 'host.json'), 'utf8')) as { functionTimeout: string; extensions: { queues: Queues } };
const queues = host.extensions.queues;
const seconds = (t: string): number => t.split(':').map(Number).reduce((a, b) => a * 60 + b, 0);
const defaultOf = (key: string): number => Number(SETTINGS.find((s) => s.key === key)!.default);

/** The table under "### host.json queue settings" in docs/operate.md: option → value. */
function documented(): Queues {
  const doc = readFileSync(path.join(ROOT, 'docs/operate.md'), 'utf8');
  const section = /### host\.json queue settings\n([\s\S]*?)\n#/.exec(doc)?.[1] ?? '';
  const rows = [...section.matchAll(/^\| `(\w+)` \| `([^`]+)` \|/gm)];
  return Object.fromEntries(rows.map(([, option, value]) => [option!, /^\d+$/.test(value!) ? Number(value) : value!]));
}

describe('host.json extensions.queues', () => {
  it('holds exactly the documented options and values', () => {
    expect(Object.keys(documented()).length).toBeGreaterThanOrEqual(6);
    expect(queues).toEqual(documented());
  });

  it('are within the extension limits (QueuesOptions: batchSize 1-32, maxPollingInterval >= 100 ms, maxDequeueCount >= 1)', () => {
    expect(queues.batchSize).toBeGreaterThanOrEqual(1);
    expect(queues.batchSize).toBeLessThanOrEqual(32);
    expect(queues.newBatchThreshold).toBeGreaterThanOrEqual(0);
    expect(queues.maxDequeueCount).toBeGreaterThanOrEqual(1);
    expect(seconds(String(queues.maxPollingInterval))).toBeGreaterThanOrEqual(0.1);
    expect(['base64', 'none']).toContain(queues.messageEncoding);
  });

  it('take at most as many servers per instance as one run ships in parallel by default', () => {
    // batchSize + newBatchThreshold is both the most messages one instance runs at once and the
    // target the scale controller divides the queue length by (QueueTargetScaler).
    expect(Number(queues.batchSize) + Number(queues.newBatchThreshold)).toBe(defaultOf('concurrency'));
  });

  it('bring a failed message back only after the lease of its server has expired, and before the next sweep plans it again', () => {
    const lease = 60; // the server document's lease (docs/design.md "State layout")
    const visibility = seconds(String(queues.visibilityTimeout));
    expect(visibility).toBeGreaterThanOrEqual(lease);
    // Every retry of one message happens within roughly one sweep interval of the first failure.
    expect(visibility * (Number(queues.maxDequeueCount) - 1)).toBeLessThanOrEqual(5 * 60);
  });

  it('let a run finish inside the function timeout (the message stays invisible while it runs)', () => {
    expect(defaultOf('runBudgetMinutes') * 60 + defaultOf('uploadTimeoutSeconds')).toBeLessThan(seconds(host.functionTimeout));
  });
});
