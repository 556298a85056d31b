// log_line_prefix escapes as data: one entry per `%` escape of PostgreSQL's log_status_format
// (src/backend/utils/error/elog.c). Each entry says what text the server can print for it (a
// regular-expression fragment that must not cross a newline) and which prefix field it fills.
// Free-text escapes are lazy so the prefix ends at the first `LEVEL:  ` that fits.

export interface PrefixFields {
  applicationName: string | null;
  userName: string | null;
  databaseName: string | null;
  clientHost: string | null;
  clientPort: number | null;
  backendType: string | null;
  processId: number | null;
  leaderProcessId: number | null;
  timestamp: string | null;
  epoch: string | null;
  commandTag: string | null;
  sqlState: string | null;
  sessionId: string | null;
  sessionLine: number | null;
  sessionStart: string | null;
  virtualTransactionId: string | null;
  transactionId: string | null;
  queryId: string | null;
}

export function emptyPrefixFields(): PrefixFields {
  return {
    applicationName: null,
    userName: null,
    databaseName: null,
    clientHost: null,
    clientPort: null,
    backendType: null,
    processId: null,
    leaderProcessId: null,
    timestamp: null,
    epoch: null,
    commandTag: null,
    sqlState: null,
    sessionId: null,
    sessionLine: null,
    sessionStart: null,
    virtualTransactionId: null,
    transactionId: null,
    queryId: null,
  };
}

export interface PrefixEscape {
  /** The character after `%`. */
  readonly letter: string;
  /** What PostgreSQL prints (documentation and --help text). */
  readonly meaning: string;
  /** Regular-expression fragment for the printed value (no capture groups, no newlines). */
  readonly pattern: string;
  /** Stores the captured (padding-trimmed) text into the fields. */
  readonly assign: (fields: PrefixFields, text: string) => void;
}

// `%t`/`%s`: "%Y-%m-%d %H:%M:%S %Z"; `%m` adds milliseconds. %Z is a zone abbreviation (UTC, CEST)
// or a numeric offset (+03, -0330): letters, digits and signs only. It must not take a colon, or
// in `%t:%r:` it would swallow the colons of an IPv6 client address (`UTC:::1(5432):`).
const ZONE = String.raw`[A-Za-z0-9+-]+`;
const TIME = String.raw`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} ${ZONE}`;
const TIME_MS = String.raw`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} ${ZONE}`;
/** Any text on the line, shortest first (names may hold spaces, commas, quotes). */
const FREE_TEXT = String.raw`[^\n]*?`;

/** `[unknown]` is what a session process prints before the value is known. */
function known(text: string): string | null {
  return text === '' || text === '[unknown]' ? null : text;
}

function int(text: string): number | null {
  if (text === '') return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/** `%r` prints `host(port)`, or just the host for Unix sockets (`[local]`). */
function assignRemote(fields: PrefixFields, text: string): void {
  const open = text.lastIndexOf('(');
  if (open > 0 && text.endsWith(')')) {
    const port = int(text.slice(open + 1, -1));
    if (port !== null) {
      fields.clientHost ??= known(text.slice(0, open));
      fields.clientPort ??= port;
      return;
    }
  }
  fields.clientHost ??= known(text);
}

export const PREFIX_ESCAPES: readonly PrefixEscape[] = [
  { letter: 'a', meaning: 'application name', pattern: FREE_TEXT, assign: (f, t) => void (f.applicationName ??= known(t)) },
  { letter: 'u', meaning: 'user name', pattern: FREE_TEXT, assign: (f, t) => void (f.userName ??= known(t)) },
  { letter: 'd', meaning: 'database name', pattern: FREE_TEXT, assign: (f, t) => void (f.databaseName ??= known(t)) },
  // `host(port)` for TCP clients, tried first so that an IPv6 host's colons stay in the host
  // (`%t:%r:` → `UTC:::1(5432):`); else `[local]`, a host without port, or nothing (no session).
  { letter: 'r', meaning: 'remote host and port', pattern: String.raw`[^\s(]+\(\d+\)|[^\s]*?`, assign: assignRemote },
  { letter: 'h', meaning: 'remote host', pattern: String.raw`[^\s]*?`, assign: (f, t) => void (f.clientHost ??= known(t)) },
  { letter: 'b', meaning: 'backend type', pattern: FREE_TEXT, assign: (f, t) => void (f.backendType ??= known(t)) },
  { letter: 'p', meaning: 'process id', pattern: String.raw`\d+`, assign: (f, t) => void (f.processId ??= int(t)) },
  { letter: 'P', meaning: 'parallel group leader process id', pattern: String.raw`\d*`, assign: (f, t) => void (f.leaderProcessId ??= int(t)) },
  { letter: 't', meaning: 'time stamp without milliseconds', pattern: TIME, assign: (f, t) => void (f.timestamp ??= t) },
  { letter: 'm', meaning: 'time stamp with milliseconds', pattern: TIME_MS, assign: (f, t) => void (f.timestamp = t) },
  { letter: 'n', meaning: 'time stamp as Unix epoch with milliseconds', pattern: String.raw`\d+\.\d{3}`, assign: (f, t) => void (f.epoch ??= t) },
  { letter: 'i', meaning: 'command tag', pattern: FREE_TEXT, assign: (f, t) => void (f.commandTag ??= known(t)) },
  { letter: 'e', meaning: 'SQLSTATE error code', pattern: '[0-9A-Z]{5}', assign: (f, t) => void (f.sqlState ??= t) },
  { letter: 'c', meaning: 'session id', pattern: String.raw`[0-9a-f]+\.[0-9a-f]+`, assign: (f, t) => void (f.sessionId ??= t) },
  { letter: 'l', meaning: 'session line number', pattern: String.raw`\d+`, assign: (f, t) => void (f.sessionLine ??= int(t)) },
  { letter: 's', meaning: 'session start time stamp', pattern: TIME, assign: (f, t) => void (f.sessionStart ??= t) },
  { letter: 'v', meaning: 'virtual transaction id', pattern: String.raw`(?:\d+/\d+)?`, assign: (f, t) => void (f.virtualTransactionId ??= known(t)) },
  { letter: 'x', meaning: 'transaction id (0 if none)', pattern: String.raw`\d+`, assign: (f, t) => void (f.transactionId ??= t) },
  { letter: 'Q', meaning: 'query id (0 if none)', pattern: String.raw`-?\d+`, assign: (f, t) => void (f.queryId ??= t) },
];

/** `%q` ends the prefix for processes without a session; `%%` is a literal percent sign. */
export const STOP_IF_NO_SESSION = 'q';
export const LITERAL_PERCENT = '%';

export const ESCAPES_BY_LETTER: ReadonlyMap<string, PrefixEscape> = new Map(PREFIX_ESCAPES.map((e) => [e.letter, e]));
