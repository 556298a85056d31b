// The monthly cost of a volume of PostgreSQL logs under each plan, from the billed bytes of a
// sample (parse --summary json with --monthly-gb or --monthly-events). The prices are list prices
// to check: approximations from a third-party summary (monitoringcost.com, 2026), not read from
// Microsoft's pricing page (azure.microsoft.com/pricing/details/monitor); they differ by region.
// GB here is 10^9 bytes. Pure.

export const LIST_PRICES_TO_CHECK = {
  currency: 'USD',
  analyticsPerGB: 2.3,
  basicPerGB: 0.5,
  auxiliaryPerGB: 0.05,
  source: 'list prices to check: third-party approximations (monitoringcost.com, 2026), not Microsoft\'s pricing page; check azure.microsoft.com/pricing/details/monitor for your region',
  notIncluded: 'retention beyond the included days, queries on Basic/Auxiliary (per GB scanned), the Auxiliary data processing charge (on all data processed for an Auxiliary table), alert rules, Functions and storage',
} as const;

/** The volume to price: GB per month the same logs bill in PGSQLServerLogs today, or diagnostic records per month. */
export type MonthlyVolume = { readonly kind: 'pgsqlServerLogsGB'; readonly gb: number } | { readonly kind: 'events'; readonly events: number };

export interface SampleBytes {
  /** Diagnostic records of the sample (the events). */
  readonly records: number;
  readonly analytics: number;
  readonly bulk: number;
  readonly runRecords: number;
  readonly pgsqlServerLogs: number | null;
  readonly azureDiagnostics: number | null;
}

const GB = 1e9;
const usd = (x: number): number => Number(x.toFixed(2));
const gb = (x: number): number => Number(x.toFixed(3));

/** The sample scaled to the month, and the cost of each way to keep it. */
export function monthlyCosts(volume: MonthlyVolume, s: SampleBytes): object {
  let scale: number | null;
  if (volume.kind === 'events') scale = s.records > 0 ? volume.events / s.records : null;
  else scale = s.pgsqlServerLogs ? (volume.gb * GB) / s.pgsqlServerLogs : null;
  if (scale === null) return { volume, error: volume.kind === 'events' ? 'the sample has no records' : 'the sample has no PGSQLServerLogs estimate (stdin input)' };
  const p = LIST_PRICES_TO_CHECK;
  const month = (bytes: number): number => (bytes * scale) / GB;
  const analyticsGB = month(s.analytics + s.runRecords);
  const bulkGB = month(s.bulk);
  const allGB = analyticsGB + bulkGB;
  return {
    volume,
    eventsPerMonth: Math.round(s.records * scale),
    listPricesToCheck: p,
    gbPerMonth: {
      PgAudit_CL_all: gb(allGB),
      PgAudit_CL_tiered_analytics: gb(analyticsGB),
      PgAuditBulk_CL_tiered: gb(bulkGB),
      PGSQLServerLogs: s.pgsqlServerLogs === null ? null : gb(month(s.pgsqlServerLogs)),
      AzureDiagnostics: s.azureDiagnostics === null ? null : gb(month(s.azureDiagnostics)),
    },
    usdPerMonth: {
      ours_allAnalytics: usd(allGB * p.analyticsPerGB),
      ours_tieredToBasic: usd(analyticsGB * p.analyticsPerGB + bulkGB * p.basicPerGB),
      ours_tieredToAuxiliary: usd(analyticsGB * p.analyticsPerGB + bulkGB * p.auxiliaryPerGB),
      PGSQLServerLogs_analytics: s.pgsqlServerLogs === null ? null : usd(month(s.pgsqlServerLogs) * p.analyticsPerGB),
      PGSQLServerLogs_basic: s.pgsqlServerLogs === null ? null : usd(month(s.pgsqlServerLogs) * p.basicPerGB),
      AzureDiagnostics_analytics: s.azureDiagnostics === null ? null : usd(month(s.azureDiagnostics) * p.analyticsPerGB),
    },
  };
}

/** --monthly-gb / --monthly-events → the volume (at most one; positive numbers). */
export function monthlyVolumeOf(gbText: string | undefined, eventsText: string | undefined): MonthlyVolume | null | { error: string } {
  if (gbText !== undefined && eventsText !== undefined) return { error: 'give --monthly-gb or --monthly-events, not both' };
  const parse = (t: string): number | null => (/^\d+(\.\d+)?$/.test(t.trim()) && Number(t) > 0 ? Number(t) : null);
  if (gbText !== undefined) {
    const n = parse(gbText);
    return n === null ? { error: `--monthly-gb must be a positive number (got ${JSON.stringify(gbText)})` } : { kind: 'pgsqlServerLogsGB', gb: n };
  }
  if (eventsText !== undefined) {
    const n = parse(eventsText);
    return n === null ? { error: `--monthly-events must be a positive number (got ${JSON.stringify(eventsText)})` } : { kind: 'events', events: n };
  }
  return null;
}
