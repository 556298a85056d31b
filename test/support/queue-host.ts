// A stand-in for the Functions host's queue listener (the host cannot run here), doing what the
// queue extension does with host.json's settings: fetch a message with a visibility timeout, decode
// it as `messageEncoding` says, hand JSON to the handler as an object with the dequeue count in
// the trigger metadata, delete it when the handler returns, make it visible again after
// `visibilityTimeout` when it throws, and move it to `<queue>-poison` when it threw on attempt
// `maxDequeueCount`. Up to `batchSize + newBatchThreshold` handlers run at once, as on one instance.
import functions, { type InvocationContext as Invocation } from '@azure/functions';
// The package is CommonJS that Node's ESM loader cannot list named exports of (a worker runs here).
const { InvocationContext } = functions;
import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import type { HostQueueSettings } from '../../src/config/host-queue-settings.js';

export type QueueHandler = (message: unknown, ctx: Invocation) => Promise<unknown>;

export interface DrainResult {
  handled: number;
  failed: number;
  poisoned: number;
  /** Every log line the handlers wrote (level and text). */
  logs: string[];
}

export interface DrainOptions {
  readonly host: HostQueueSettings;
  /** Stop once the queue holds no message at all (visible or not) and nothing runs. */
  readonly untilEmpty?: boolean;
  /** Stop after this long regardless (default 120 s). */
  readonly timeoutMs?: number;
  /** Poll interval while nothing is visible (the host backs off up to maxPollingInterval). */
  readonly pollMs?: number;
  /** How long a fetched message stays invisible while its handler runs (the host: 10 min). */
  readonly leaseSeconds?: number;
}

function decode(item: DequeuedMessageItem, encoding: HostQueueSettings['messageEncoding']): unknown {
  const text = encoding === 'base64' ? Buffer.from(item.messageText, 'base64').toString('utf8') : item.messageText;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export async function drainQueue(queue: QueueClient, poison: QueueClient, handler: QueueHandler, o: DrainOptions): Promise<DrainResult> {
  const result: DrainResult = { handled: 0, failed: 0, poisoned: 0, logs: [] };
  const parallel = o.host.batchSize + o.host.newBatchThreshold;
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  let running = 0;
  const inFlight = new Set<Promise<void>>();
  const handle = async (item: DequeuedMessageItem): Promise<void> => {
    const ctx = new InvocationContext({
      functionName: 'shipServer',
      invocationId: item.messageId,
      triggerMetadata: { dequeueCount: item.dequeueCount, id: item.messageId },
      logHandler: (level, ...args) => void result.logs.push(`${level} ${args.map(String).join(' ')}`),
    });
    try {
      await handler(decode(item, o.host.messageEncoding), ctx);
      result.handled++;
      await queue.deleteMessage(item.messageId, item.popReceipt);
    } catch (err) {
      result.failed++;
      result.logs.push(`host error ${err instanceof Error ? err.message : String(err)}`);
      if (item.dequeueCount >= o.host.maxDequeueCount) {
        result.poisoned++;
        await poison.sendMessage(item.messageText);
        await queue.deleteMessage(item.messageId, item.popReceipt);
      } else {
        await queue.updateMessage(item.messageId, item.popReceipt, undefined, o.host.visibilityTimeoutSeconds);
      }
    }
  };
  while (Date.now() < deadline) {
    if (running < parallel) {
      const { receivedMessageItems: items } = await queue.receiveMessages({ numberOfMessages: Math.min(o.host.batchSize, parallel - running), visibilityTimeout: o.leaseSeconds ?? 600 });
      for (const item of items) {
        running++;
        const p = handle(item).finally(() => {
          running--;
          inFlight.delete(p);
        });
        inFlight.add(p);
      }
      if (items.length > 0) continue;
    }
    if (o.untilEmpty && running === 0 && ((await queue.getProperties()).approximateMessagesCount ?? 0) === 0) break;
    await Promise.race([new Promise((r) => setTimeout(r, o.pollMs ?? 50)), ...inFlight]);
  }
  await Promise.all(inFlight);
  return result;
}
