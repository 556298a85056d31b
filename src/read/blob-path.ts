// Diagnostic blob names: `<server path>y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json`, where the server
// path is `resourceId=/SUBSCRIPTIONS/<sub>/RESOURCEGROUPS/<rg>/PROVIDERS/MICROSOFT.DBFORPOSTGRESQL/
// FLEXIBLESERVERS/<name>/`. The hour says how long the blob can still grow.

export interface DiagnosticBlobPath {
  readonly name: string;
  /** Everything before `y=`: identifies the server (sessions are per server). */
  readonly serverPath: string;
  /** Start of the blob's hour, or null for a name without the y=/m=/d=/h= layout. */
  readonly hourStart: Date | null;
}

const LAYOUT = /^(.*?)y=(\d{4})\/m=(\d{2})\/d=(\d{2})\/h=(\d{2})\/m=(\d{2})\/[^/]+$/;

export function parseBlobPath(name: string): DiagnosticBlobPath {
  const m = LAYOUT.exec(name);
  if (!m) return { name, serverPath: name.slice(0, name.lastIndexOf('/') + 1), hourStart: null };
  const [, serverPath, y, mo, d, h, mi] = m as unknown as [string, string, string, string, string, string, string];
  const hourStart = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi)));
  return { name, serverPath: serverPath ?? '', hourStart: Number.isNaN(hourStart.getTime()) ? null : hourStart };
}

/** The blob name Azure uses for `serverPath` and the hour that contains `at`. */
export function hourlyBlobName(serverPath: string, at: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${serverPath}y=${at.getUTCFullYear()}/m=${p(at.getUTCMonth() + 1)}/d=${p(at.getUTCDate())}/h=${p(at.getUTCHours())}/m=00/PT1H.json`;
}

/**
 * Whether the blob may still receive records: during its hour and for `lookbackMs` after it
 * (records of the previous hour may land late). Names without an hour are always open.
 */
export function mayStillGrow(path: DiagnosticBlobPath, now: Date, lookbackMs: number): boolean {
  if (!path.hourStart) return true;
  return now.getTime() < path.hourStart.getTime() + 3_600_000 + lookbackMs;
}

/**
 * The blob's name relative to its server path (`y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json`), what rows
 * and run records carry as SourceBlob: the server path is named once per server (ServerName; the
 * run records' ServerResourceId). A name without the hourly layout (a local file) is kept whole.
 */
export function serverRelativeBlobName(name: string): string {
  const p = parseBlobPath(name);
  return p.hourStart ? name.slice(p.serverPath.length) : name;
}

/** `resourceId=/SUBSCRIPTIONS/…/FLEXIBLESERVERS/<name>/` (a server path) → the resource id, or null. */
export function resourceIdOfPath(serverPath: string): string | null {
  const m = /(?:^|\/)resourceId=(\/SUBSCRIPTIONS\/.+?)\/*$/i.exec(serverPath);
  return m ? m[1]! : null;
}

/** The last path segment of the server path, lower-case (the server name). */
export function serverNameOfPath(serverPath: string): string {
  const parts = serverPath.split('/').filter((p) => p !== '');
  return (parts[parts.length - 1] ?? '').toLowerCase();
}
