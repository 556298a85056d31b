// A parsed log line → what it is for PgAudit_CL (docs/design.md "Event rules"). Lines the table does
// not keep are classified too, with a short reason, so they can be counted.
import { AUDIT_PREFIX, parseAuditEntry, type AuditEntry } from './pgaudit-entry.js';

export type Classified =
  | { readonly kind: 'AUDIT'; readonly entry: AuditEntry }
  | { readonly kind: 'BAD_AUDIT'; readonly reason: string }
  | { readonly kind: 'AUTH_FAILURE'; readonly userName: string | null; readonly databaseName: string | null; readonly clientHost: string | null }
  | { readonly kind: 'ERROR'; readonly endsSession: boolean }
  | { readonly kind: 'CONNECTION_RECEIVED'; readonly clientHost: string | null; readonly clientPort: number | null }
  | { readonly kind: 'CONNECT'; readonly userName: string | null; readonly databaseName: string | null; readonly applicationName: string | null }
  | {
      readonly kind: 'DISCONNECT';
      readonly userName: string | null;
      readonly databaseName: string | null;
      readonly clientHost: string | null;
      readonly clientPort: number | null;
    }
  | { readonly kind: 'DROPPED'; readonly reason: string };

const AUTH_SQLSTATES = new Set(['28P01', '28000']);
// FATALs PostgreSQL raises only while a backend starts (database does not exist, no CONNECT
// privilege, too many connections for the role or server): like a failed login, the backend then
// exits without a "disconnection" line (PostgreSQL 15, checked on a real server).
const START_FAILURE_SQLSTATES = new Set(['3D000', '42501', '53300']);
const ERROR_LEVELS = new Set(['ERROR', 'FATAL', 'PANIC']);

// PostgreSQL 12–18 wording (src/backend/utils/init/postinit.c, postmaster/backend_startup.c).
const CONNECTION_RECEIVED = /^connection received: host=(\S*)(?: port=(\d+))?/;
const CONNECTION_AUTHORIZED =
  /^(?:replication )?connection authorized: user=(.*?)(?: database=(.*?))?(?: application_name=(.*?))?(?: SSL enabled \(.*\))?(?: GSS \(.*\))?$/;
const DISCONNECTION = /^disconnection: session time: \S+ user=(.*?) database=(.*?) host=(\S*)(?: port=(\d+))?$/;
const QUOTED_USER = /\b(?:user|role) "([^"]*)"/;
const QUOTED_DATABASE = /\bdatabase "([^"]*)"/;
const QUOTED_HOST = /\bhost "([^"]*)"/;

export function classify(level: string, sqlState: string | null, message: string): Classified {
  if (message.startsWith(AUDIT_PREFIX)) {
    const parsed = parseAuditEntry(message.slice(AUDIT_PREFIX.length));
    return parsed.ok ? { kind: 'AUDIT', entry: parsed.entry } : { kind: 'BAD_AUDIT', reason: parsed.reason };
  }
  if (level === 'FATAL' && sqlState !== null && AUTH_SQLSTATES.has(sqlState)) {
    return {
      kind: 'AUTH_FAILURE',
      userName: QUOTED_USER.exec(message)?.[1] ?? null,
      databaseName: QUOTED_DATABASE.exec(message)?.[1] ?? null,
      clientHost: QUOTED_HOST.exec(message)?.[1] ?? null,
    };
  }
  if (ERROR_LEVELS.has(level)) return { kind: 'ERROR', endsSession: level === 'FATAL' && sqlState !== null && START_FAILURE_SQLSTATES.has(sqlState) };
  if (level !== 'LOG') return { kind: 'DROPPED', reason: level.toLowerCase() };
  return classifyLog(message);
}

function classifyLog(message: string): Classified {
  if (message.startsWith('connection received: ')) {
    const m = CONNECTION_RECEIVED.exec(message);
    return { kind: 'CONNECTION_RECEIVED', clientHost: m?.[1] ?? null, clientPort: toPort(m?.[2]) };
  }
  if (message.startsWith('connection authorized: ') || message.startsWith('replication connection authorized: ')) {
    const m = CONNECTION_AUTHORIZED.exec(message);
    return { kind: 'CONNECT', userName: m?.[1] ?? null, databaseName: m?.[2] ?? null, applicationName: m?.[3] ?? null };
  }
  if (message.startsWith('disconnection: ')) {
    const m = DISCONNECTION.exec(message);
    return { kind: 'DISCONNECT', userName: m?.[1] ?? null, databaseName: m?.[2] ?? null, clientHost: m?.[3] ?? null, clientPort: toPort(m?.[4]) };
  }
  return { kind: 'DROPPED', reason: dropReason(message) };
}

/** A short, low-cardinality name for a dropped line (for the summary's counts). */
function dropReason(message: string): string {
  const words = /^[a-z_ ]{1,40}?(?=:| \d|$)/i.exec(message)?.[0];
  return words ? words.toLowerCase() : 'other';
}

function toPort(text: string | undefined): number | null {
  if (text === undefined) return null;
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : null;
}
