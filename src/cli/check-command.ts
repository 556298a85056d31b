// `check`: can this identity do what a run needs? One line per check, the fix under each failure.
import { shippingClients } from '../config/azure-clients.js';
import { formatCheck, healthTargetsOf, runHealthChecks } from '../ship/health-check.js';
import type { CliIo } from './parse-command.js';
import { shippingSettings } from './ship-context-from-cli.js';

export async function runCheck(opts: Readonly<Record<string, unknown>>, io: CliIo): Promise<number> {
  const settings = await shippingSettings(opts);
  const results = await runHealthChecks(healthTargetsOf(settings, shippingClients(settings)));
  for (const r of results) io.stdout.write(formatCheck(r) + '\n');
  const failed = results.filter((r) => !r.ok).length;
  io.stderr.write(`pgaudit-ingest: ${results.length - failed} of ${results.length} check(s) passed${failed ? `; fix the ${failed} failed one(s) above` : ''}\n`);
  return failed > 0 ? 1 : 0;
}
