// PostgreSQL and Azure time stamps → ISO 8601 UTC with milliseconds (the TimeGenerated format).

const PG_TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d{1,6})? ?(.*)$/;
const NUMERIC_ZONE = /^([+-])(\d{2}):?(\d{2})?$/;

/**
 * "2026-07-02 03:00:06.467 UTC" (properties.timestamp, %m, %t) → "2026-07-02T03:00:06.467Z".
 * Zone abbreviations other than UTC/GMT are ambiguous, so they give null (the caller falls back
 * to the record's own `time`).
 */
export function pgTimestampToIso(text: string | null): string | null {
  if (!text) return null;
  // Fast path: the exact form Azure writes.
  if (text.length === 27 && text.endsWith(' UTC') && text.charCodeAt(10) === 0x20 && text.charCodeAt(19) === 0x2e) {
    return `${text.slice(0, 10)}T${text.slice(11, 23)}Z`;
  }
  const m = PG_TIME.exec(text);
  if (!m) return null;
  const [, date, time, fraction = '', zone = ''] = m;
  const ms = (fraction + '000').slice(1, 4).padEnd(3, '0');
  const base = `${date}T${time}.${ms}`;
  if (zone === '' || zone === 'UTC' || zone === 'GMT' || zone === 'Z' || zone === '+00' || zone === '-00') return `${base}Z`;
  const z = NUMERIC_ZONE.exec(zone);
  if (!z) return null;
  const offset = `${z[1]}${z[2]}:${z[3] ?? '00'}`;
  return isoOrNull(`${base}${offset}`);
}

/** An ISO time of any precision ("…T03:00:06.4670000Z") → millisecond precision in UTC. */
export function normalizeIso(text: string | null): string | null {
  if (!text) return null;
  if (text.length === 24 && text.endsWith('Z') && text.charCodeAt(19) === 0x2e) return text;
  return isoOrNull(text);
}

/** `%n`: seconds since the epoch with milliseconds. */
export function epochToIso(text: string | null): string | null {
  if (!text) return null;
  const ms = Math.round(Number(text) * 1000);
  return Number.isFinite(ms) ? isoOrNull(ms) : null;
}

function isoOrNull(value: string | number): string | null {
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
