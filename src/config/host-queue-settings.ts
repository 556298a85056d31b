// The queue settings of host.json, read from the file the Functions host reads (one definition):
// the app must encode messages as the host decodes them (`messageEncoding`), and it must know on
// which attempt the host gives a message up (`maxDequeueCount`) to report the poison message.
// Absent values take the extension's defaults (QueuesOptions); a host.json that is not what this
// release expects stops the start with the file named.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { HostSettingsError } from '../errors/host-settings-error.js';
import { packageRoot } from '../package-root.js';

const timeSpan = z.string().regex(/^\d{2}:\d{2}:\d{2}$/, 'must be hh:mm:ss');

// The queue extension's defaults (QueuesOptions), written once: an absent value, queues section
// or extensions section takes them.
const queues = z
  .object({
    batchSize: z.number().int().min(1).max(32).default(16),
    newBatchThreshold: z.number().int().min(0).optional(),
    maxDequeueCount: z.number().int().min(1).default(5),
    visibilityTimeout: timeSpan.default('00:00:00'),
    messageEncoding: z.enum(['base64', 'none']).default('base64'),
  })
  .loose();

const hostJson = z.object({
  version: z.literal('2.0'),
  // prefault: an absent section is parsed as {}, so the defaults above fill it.
  extensions: z.object({ queues: queues.prefault({}) }).loose().prefault({}),
});

export interface HostQueueSettings {
  readonly batchSize: number;
  readonly newBatchThreshold: number;
  readonly maxDequeueCount: number;
  readonly visibilityTimeoutSeconds: number;
  readonly messageEncoding: 'base64' | 'none';
}

export function parseHostQueueSettings(text: string, file = 'host.json'): HostQueueSettings {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new HostSettingsError(`${file}: is not JSON`, { hint: 'restore host.json from the release', cause: err });
  }
  const r = hostJson.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new HostSettingsError(`${file}: ${issue ? `${issue.path.join('.') || '(file)'} ${issue.message}` : 'is not valid'}`, { hint: 'see docs/deploy.md "host.json queue settings" for the expected values' });
  }
  const q = r.data.extensions.queues;
  const [h, m, s] = q.visibilityTimeout.split(':').map(Number) as [number, number, number];
  return { batchSize: q.batchSize, newBatchThreshold: q.newBatchThreshold ?? Math.floor(q.batchSize / 2), maxDequeueCount: q.maxDequeueCount, visibilityTimeoutSeconds: h * 3600 + m * 60 + s, messageEncoding: q.messageEncoding };
}

let cached: HostQueueSettings | null = null;

/** host.json of the package root (the deployment package puts it next to package.json). */
export function hostQueueSettings(): HostQueueSettings {
  if (cached) return cached;
  const file = join(packageRoot(), 'host.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new HostSettingsError(`${file}: cannot be read`, { hint: 'the deployment package carries host.json next to package.json', cause: err });
  }
  cached = parseHostQueueSettings(text, file);
  return cached;
}
