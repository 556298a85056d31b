// The queue message that hands one planning shard to a worker (docs/design.md "Planning a
// fleet"): which sweep, which shard (where its page of server documents begins and ends), and when
// the sweep before it planned (the older days of a server's lookback are listed when due since
// then). It travels on the server queue next to the shipping messages and is told apart by `kind`.
import { z } from 'zod';

export const PLAN_MESSAGE_VERSION = 1;

const planMessage = z.object({
  version: z.literal(PLAN_MESSAGE_VERSION),
  kind: z.literal('plan'),
  sweepId: z.string().min(1),
  shard: z.number().int().nonnegative(),
  /** The continuation token of the timer's listing that starts the shard; null for the first. */
  token: z.string().nullable(),
  /** The first server document of the next shard (exclusive); null for the last shard. */
  until: z.string().nullable(),
  /** When the previous sweep planned; null when the timer instance does not know. */
  previousPlanAt: z.string().nullable(),
  /** Instead of a page of documents: servers discovered without a document, planned by listing. */
  servers: z.array(z.string().min(1)).optional(),
  enqueuedAt: z.string(),
});
export type PlanMessage = z.infer<typeof planMessage>;
export type NewPlanMessage = Omit<PlanMessage, 'version' | 'kind' | 'enqueuedAt'>;

/** The message as the trigger hands it over, if it is a planning message (else null). */
export function readPlanMessage(value: unknown): PlanMessage | null {
  let data = value;
  if (typeof value === 'string') {
    try {
      data = JSON.parse(value);
    } catch {
      return null;
    }
  }
  if (typeof data !== 'object' || data === null || (data as { kind?: unknown }).kind !== 'plan') return null;
  const r = planMessage.safeParse(data);
  return r.success ? r.data : null;
}

/** Whether the message claims to be a planning message (then it must read as one). */
export function isPlanMessage(value: unknown): boolean {
  if (typeof value === 'string') return /"kind"\s*:\s*"plan"/.test(value);
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'plan';
}

export function planMessageText(m: NewPlanMessage, now = new Date()): string {
  return JSON.stringify({ version: PLAN_MESSAGE_VERSION, kind: 'plan', ...m, enqueuedAt: now.toISOString() } satisfies PlanMessage);
}
