// Checks that need a tool a user may lack (PostgreSQL, the Bicep CLI, ../shared data) skip
// locally with a visible message; CI sets PGAUDIT_INGEST_REQUIRE_TOOLS=1, which turns the
// absence into a failure.
import type { TestContext } from 'vitest';

export const TOOLS_REQUIRED = process.env.PGAUDIT_INGEST_REQUIRE_TOOLS === '1';

/** Skips the running test (or fails it in CI) when `available` is false. */
export function requireOrSkip(ctx: TestContext, available: boolean, message: string): void {
  if (available) return;
  if (TOOLS_REQUIRED) throw new Error(`${message} (PGAUDIT_INGEST_REQUIRE_TOOLS=1: required in CI)`);
  console.warn(`SKIPPED: ${message}`);
  ctx.skip(message);
}
