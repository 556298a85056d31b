// The shipping context of `ship`, `backfill`, `replay` and `check`, from their options (and the
// app settings' names as environment fallbacks). Loads the Azure SDKs, so the CLI imports it only
// for those commands.
import { shippingClients } from '../ship/ship-clients.js';
import { REQUIRED_FOR_SHIPPING, SHIP_KEYS } from '../config/settings-model.js';
import { completeSettings, type ShipSettings } from '../config/settings.js';
import { createShipContext, shipConfigOf, type ShipContext } from '../ship/ship-context.js';
import { resolveCliSettings } from './cli-settings.js';

/** Progress of long blobs on stderr, at most every 2 s per blob. */
function progressReporter(log: (m: string) => void): (blob: string, offset: number, length: number) => void {
  const last = new Map<string, number>();
  return (blob, offset, length) => {
    const now = Date.now();
    if (offset >= length || now - (last.get(blob) ?? 0) < 2000) return;
    last.set(blob, now);
    log(`${blob}: ${((100 * offset) / Math.max(1, length)).toFixed(0)} % (${(offset / 1e6).toFixed(1)} of ${(length / 1e6).toFixed(1)} MB)`);
  };
}

/** The settings of a shipping command: its options, else PGAUDIT_* variables, else defaults. */
export async function shippingSettings(opts: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv = process.env): Promise<ShipSettings> {
  return completeSettings(await resolveCliSettings(opts, SHIP_KEYS, REQUIRED_FOR_SHIPPING, env));
}

/** The shipping context for a command, from its options. */
export async function shipContextFromCli(opts: Readonly<Record<string, unknown>>, log: (m: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<{ settings: ShipSettings; ctx: ShipContext }> {
  const settings = await shippingSettings(opts, env);
  const ctx = createShipContext({ ...shipConfigOf(settings), onCheckpoint: progressReporter(log) }, shippingClients(settings), log);
  return { settings, ctx };
}
