// zod schemas of the session fields that follow application_name (application-name.ts), for
// validating a saved session table: a saved session holds connectApplicationName and names.
import { z } from 'zod';
import type { NameTracking } from './application-name.js';

const name = z.string().nullable();

const effect = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('set'), value: z.string(), local: z.boolean() }),
  z.object({ kind: z.literal('reset'), local: z.boolean() }),
  z.object({ kind: z.literal('begin') }),
  z.object({ kind: z.literal('commit'), chain: z.boolean() }),
  z.object({ kind: z.literal('rollback'), chain: z.boolean() }),
  z.object({ kind: z.literal('rollback-to'), savepoint: z.string() }),
  z.object({ kind: z.literal('savepoint'), name: z.string() }),
  z.object({ kind: z.literal('release'), savepoint: z.string() }),
  z.object({ kind: z.literal('unknown'), reason: z.string() }),
]);

const run = z.object({
  length: z.number().int().nonnegative(),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  statements: z.array(z.object({ tag: z.string(), effect, setsPgAudit: z.literal(true).optional() })),
  counts: z.record(z.string(), z.object({ n: z.number().int().positive(), id: z.number().int().nonnegative() })),
});

export const nameTrackingSchema: z.ZodType<NameTracking> = z.object({
  session: name,
  block: z.array(z.object({ savepoint: z.string().nullable(), session: name, current: name })).nullable(),
  run: run.nullable(),
});

/** The fields a saved session adds for following application_name. */
export const nameSessionFields = { connectApplicationName: name, names: nameTrackingSchema };
