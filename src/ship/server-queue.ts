// The server queue (docs/deploy.md "Scale-out"): the sweep and blobCreated put one message per
// server on it, shipServer takes them. Messages are encoded as host.json's `messageEncoding` says
// the host decodes them (base64 by default; @azure/storage-queue sends text as given), so a
// message the app sends is never a message the host cannot read. The host moves a message that
// failed `maxDequeueCount` times to `<queue>-poison`.
import type { QueueClient, QueueServiceClient } from '@azure/storage-queue';
import type { HostQueueSettings } from '../config/host-queue-settings.js';
import { QueueSendError } from '../errors/queue-send-error.js';
import { runErrorOf } from '../errors/run-error.js';
import { QUEUE_MESSAGE_BYTES } from '../service-limits.js';
import { planMessageText, type NewPlanMessage } from './plan-message.js';
import { serverMessageText, type ServerMessage } from './server-message.js';

/** The suffix the Functions host gives the poison queue of a queue trigger. */
export const POISON_SUFFIX = '-poison';

export type NewServerMessage = Omit<ServerMessage, 'version' | 'enqueuedAt'>;

export function encodeMessage(text: string, encoding: HostQueueSettings['messageEncoding']): string {
  return encoding === 'base64' ? Buffer.from(text, 'utf8').toString('base64') : text;
}

/**
 * The message text as the queue stores it, within the queue's message size: a message whose list
 * of named blobs would not fit goes without the list, and the server is then planned by listing,
 * which finds every blob the list named (they are all in the lookback).
 */
export function messageWithinLimit(m: NewServerMessage, encoding: HostQueueSettings['messageEncoding'], now: Date): string {
  const text = encodeMessage(serverMessageText(m, now), encoding);
  if (Buffer.byteLength(text) <= QUEUE_MESSAGE_BYTES.value || m.blobs === undefined) return text;
  return encodeMessage(serverMessageText({ serverPath: m.serverPath, reason: m.reason }, now), encoding);
}

export class ServerQueue {
  readonly poison: QueueClient;

  constructor(
    readonly queue: QueueClient,
    private readonly encoding: HostQueueSettings['messageEncoding'],
    service: QueueServiceClient,
  ) {
    this.poison = service.getQueueClient(`${queue.name}${POISON_SUFFIX}`);
  }

  static of(service: QueueServiceClient, name: string, encoding: HostQueueSettings['messageEncoding']): ServerQueue {
    return new ServerQueue(service.getQueueClient(name), encoding, service);
  }

  /** Both queues (Bicep creates them in Azure; locally nothing else does). */
  async ensure(): Promise<void> {
    await this.queue.createIfNotExists();
    await this.poison.createIfNotExists();
  }

  /** One message; `delaySeconds` keeps it invisible that long (a deferred server). */
  async send(m: NewServerMessage, delaySeconds = 0, now = new Date()): Promise<void> {
    try {
      await this.queue.sendMessage(messageWithinLimit(m, this.encoding, now), delaySeconds > 0 ? { visibilityTimeout: delaySeconds } : {});
    } catch (err) {
      const e = runErrorOf(m.serverPath, err);
      throw new QueueSendError(`could not put the message for ${m.serverPath} on queue ${this.queue.name}: ${e.message}`, {
        hint: e.hint ?? 'check that the queue exists and the identity has Storage Queue Data Contributor on the state account',
        code: 'QueueSendFailed',
        cause: err,
      });
    }
  }

  /** One message per server, `parallel` sends at a time; returns the servers in the order given. */
  async sendAll(messages: readonly NewServerMessage[], parallel = 16, now = new Date()): Promise<string[]> {
    const pending = [...messages];
    const worker = async (): Promise<void> => {
      for (let m = pending.shift(); m; m = pending.shift()) await this.send(m, 0, now);
    };
    await Promise.all(Array.from({ length: Math.min(parallel, messages.length) }, worker));
    return messages.map((m) => m.serverPath);
  }

  /** One planning message per shard (plan-message.ts), `parallel` sends at a time. */
  async sendPlans(messages: readonly NewPlanMessage[], parallel = 16, now = new Date()): Promise<void> {
    const pending = [...messages];
    const worker = async (): Promise<void> => {
      for (let m = pending.shift(); m; m = pending.shift()) {
        try {
          await this.queue.sendMessage(encodeMessage(planMessageText(m, now), this.encoding));
        } catch (err) {
          const e = runErrorOf(null, err);
          throw new QueueSendError(`could not put planning shard ${m.shard} of sweep ${m.sweepId} on queue ${this.queue.name}: ${e.message}`, {
            hint: e.hint ?? 'check that the queue exists and the identity has Storage Queue Data Contributor on the state account',
            code: 'QueueSendFailed',
            cause: err,
          });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, messages.length) }, worker));
  }

  /** Messages waiting in the poison queue (approximate, as the service counts them). */
  async poisonCount(): Promise<number> {
    return (await this.poison.getProperties()).approximateMessagesCount ?? 0;
  }
}
