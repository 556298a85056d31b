// Synthetic Flexible Server traffic for the delivery scenarios: sessions that connect, run
// audited statements and disconnect, under the default `%t-%c-` prefix (so user and database
// come only from the connection lines). Each AUDIT line is known by (session, statement id), which
// is what the scenarios count at the ingestion endpoint.
import { azureLine } from '../helpers/azure-record.js';

/** The blob-name prefix Azure Monitor uses for a server (upper-case resource id). */
export const serverPath = (server: string): string =>
  `resourceId=/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.DBFORPOSTGRESQL/FLEXIBLESERVERS/${server.toUpperCase()}/`;

export function hourBlob(server: string, hour: Date): string {
  const path = serverPath(server);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${path}y=${hour.getUTCFullYear()}/m=${p(hour.getUTCMonth() + 1)}/d=${p(hour.getUTCDate())}/h=${p(hour.getUTCHours())}/m=00/PT1H.json`;
}

export interface ExpectedAudit {
  readonly session: string;
  readonly statementId: number;
  readonly user: string;
  readonly database: string;
}

/** Key of an AUDIT row as the scenarios count it. */
export const auditKey = (session: string | null, statementId: number | null): string => `${session ?? '?'}#${statementId ?? '?'}`;

function stamp(at: Date): { t: string; ms: string } {
  const iso = at.toISOString(); // 2026-07-02T03:00:09.123Z
  return { t: `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`, ms: `${iso.slice(0, 10)} ${iso.slice(11, 23)} UTC` };
}

/** One client session's lines, split at will by the caller (e.g. across hourly blobs). */
export class SessionScript {
  private statementId = 0;
  private clock: number;
  readonly expected: ExpectedAudit[] = [];

  constructor(
    readonly session: string,
    readonly pid: number,
    readonly user: string,
    readonly database: string,
    start: Date,
    private readonly server = 'pgflex-test',
    private readonly statementBytes = 60,
  ) {
    this.clock = start.getTime();
  }

  private line(message: string, errorLevel = 'LOG'): string {
    const { t, ms } = stamp(new Date((this.clock += 7)));
    return azureLine({ message: `${t}-${this.session}-${errorLevel}:  ${message}`, timestamp: ms, processId: this.pid, errorLevel, backendType: 'client backend', server: this.server });
  }

  connect(): string[] {
    return [
      this.line(`connection received: host=10.0.0.${this.pid % 250} port=${40000 + (this.pid % 20000)}`),
      this.line(`connection authorized: user=${this.user} database=${this.database} application_name=psql`),
    ];
  }

  /** `count` audited statements; the statement text is padded to `statementBytes`. */
  audit(count: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = ++this.statementId;
      const text = `SELECT * FROM accounts WHERE id = ${id} /* ${'x'.repeat(Math.max(0, this.statementBytes - 40))} */`;
      out.push(this.line(`AUDIT: SESSION,${id},1,READ,SELECT,TABLE,public.accounts,${text},<not logged>`));
      this.expected.push({ session: this.session, statementId: id, user: this.user, database: this.database });
    }
    return out;
  }

  /** Lines the pipeline drops (counted, not shipped): checkpoints and the like. */
  noise(count: number): string[] {
    return Array.from({ length: count }, (_, i) => this.line(`checkpoint complete: wrote ${i} buffers (0.0%); 0 WAL file(s) added, 0 removed, 0 recycled`));
  }

  disconnect(): string[] {
    return [this.line(`disconnection: session time: 0:00:01.000 user=${this.user} database=${this.database} host=10.0.0.${this.pid % 250} port=${40000 + (this.pid % 20000)}`)];
  }
}

/** Lines as blob bytes (each line ends with a newline, as Azure writes them). */
export const bytesOf = (lines: readonly string[]): Buffer => Buffer.from(lines.map((l) => l + '\n').join(''));
