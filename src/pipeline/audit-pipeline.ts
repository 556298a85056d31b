// The pure core: blob lines in, PgAudit_CL rows out, in input order. No I/O, no @azure/*.
// Layers: line → diagnostic record(s) → log line (prefix) → classification → rows (session
// attribution, <previously logged>, gaps, redaction, caps). Nothing vanishes: a line is rows or
// a counted drop, and a line that fails to decode or parse becomes an UNPARSED row.
import { applyNameChange, auditNameChange, errorNameChange, followConnect, loseTrack, type NameChange } from '../enrich/application-name.js';
import { capText } from '../enrich/cap.js';
import { compileFilter, matchingRule, type FilterRule } from '../enrich/filters.js';
import { fitRow } from '../enrich/row-size.js';
import { createRedactor } from '../enrich/redact.js';
import { SessionTable, type LoggedStatement, type Session, type SessionKey, type SessionsText, type SessionTableSnapshot } from '../enrich/sessions.js';
import { classify, type Classified } from '../parse/classify.js';
import { compileLogLinePrefix, type CompiledPrefix } from '../parse/log-line-prefix.js';
import { parseLogLine, type LogLine } from '../parse/log-line.js';
import { PREVIOUSLY_LOGGED, NOT_LOGGED, type AuditEntry } from '../parse/pgaudit-entry.js';
import { decodeLine, type DiagnosticRecord, type LineDecodeResult, type RecordResult } from '../read/diagnostic-record.js';
import type { Line } from '../read/line-splitter.js';
import type { PgAuditRow } from '../schema.js';
import { pipelineOptions, type PipelineOptions } from './options.js';
import { gapRow, recordRow, serverNameOf, setText, stampRows, unparsedRow, type LineSource, type TextPolicy } from './row-builder.js';
import { parseBlobPath, serverNameOfPath, serverRelativeBlobName } from '../read/blob-path.js';
import { countDropped, emptyStats, type PipelineStats } from './stats.js';

/**
 * What must survive between blobs and invocations so sessions keep their attribution. Stored
 * (versioned and validated) by src/state/documents.ts.
 */
export interface PipelineSnapshot {
  readonly sessions: SessionTableSnapshot;
}

/** Why a cut last line is an UNPARSED row: the blob ended there and was never completed. */
const CUT_LAST_LINE = 'the blob ends in a cut line that was never completed (its lookback has passed); the raw text is kept';

export class AuditPipeline {
  private currentStats: PipelineStats = emptyStats();
  readonly options: PipelineOptions;
  private sessions: SessionTable;
  private readonly policy: TextPolicy;
  private readonly compiled = new Map<string, CompiledPrefix>();
  /** The blob of the last line and its server-relative name (a blob's lines come together). */
  private lastBlob: string | null = null;
  private lastRelativeBlob = '';
  private lastBlobServer: string | null = null;
  private readonly filters: readonly FilterRule[];

  constructor(options: Partial<PipelineOptions> = {}, snapshot?: PipelineSnapshot) {
    this.options = pipelineOptions(options);
    this.policy = { redactor: createRedactor(this.options.redactPatterns), cap: this.options.statementCap };
    this.filters = this.options.filters.map(compileFilter);
    this.sessions = snapshot
      ? SessionTable.fromSnapshot(snapshot.sessions, this.options.maxSessions, this.options.maxRetainedStatementChars)
      : new SessionTable(this.options.maxSessions, this.options.maxRetainedStatementChars);
    this.prefixFor(null); // compile the default now so a bad prefix fails at start-up
  }

  /** Counters since the pipeline was created or since the last takeStats(). */
  get stats(): PipelineStats {
    return this.currentStats;
  }

  /** Returns the counters and starts new ones (per-blob summaries). */
  takeStats(): PipelineStats {
    const taken = this.currentStats;
    this.currentStats = emptyStats();
    return taken;
  }

  snapshot(): PipelineSnapshot {
    return { sessions: this.sessions.snapshot() };
  }

  /** snapshot().sessions as JSON text, for a checkpoint (cheaper: unchanged sessions are not serialised again). */
  sessionsText(): SessionsText {
    return this.sessions.snapshotText();
  }

  /** Takes the sessions of a checkpoint (sessionsText() of a pipeline that read a range elsewhere). */
  restore(sessions: SessionsText): void {
    const saved = JSON.parse(sessions.json) as SessionTableSnapshot;
    this.sessions = SessionTable.fromSnapshot(saved, this.options.maxSessions, this.options.maxRetainedStatementChars);
  }

  /**
   * The rows of one blob line (zero or more), with SourceBlob/SourceOffset/RecordId set. `source`
   * is the blob's name, or its name and identity (RecordIds then differ between a blob and a
   * later blob of the same name).
   */
  processLine(line: Line, source: string | LineSource): PgAuditRow[] {
    return this.processDecoded(line, line.truncated ? null : decodeLine(line.text), source);
  }

  /**
   * processLine for a line whose decodeLine ran elsewhere (another thread: parse-command's
   * decode worker). `decoded` is null for a truncated line. line.text is read only when the line
   * is truncated, fails to decode or holds an invalid record (it becomes the UNPARSED row).
   * After the rows are built: each is bounded in size, and rows the filters name are counted and
   * left out (their RecordIds are taken first, so filters never change the others').
   */
  processDecoded(line: Line, decoded: LineDecodeResult | null, source: string | LineSource): PgAuditRow[] {
    this.stats.lines++;
    const rows: PgAuditRow[] = [];
    if (decoded === null) {
      this.stats.truncatedLines++;
      rows.push(unparsedRow(line.text, 'line longer than the line limit; only its beginning is kept', this.policy));
    } else {
      if (!decoded.ok) rows.push(unparsedRow(line.text, line.unterminated ? CUT_LAST_LINE : decoded.reason, this.policy));
      else if (decoded.records.length === 0) this.stats.blankLines++;
      else for (const r of decoded.records) this.recordRows(r, line.text, rows);
    }
    if (line.invalidUtf8) this.stats.invalidUtf8Lines++;
    const src = typeof source === 'string' ? { blob: source, identity: null } : source;
    if (src.blob !== this.lastBlob) {
      this.lastBlob = src.blob;
      this.lastRelativeBlob = serverRelativeBlobName(src.blob);
      const path = parseBlobPath(src.blob);
      this.lastBlobServer = path.hourStart ? serverNameOfPath(path.serverPath) || null : null;
    }
    stampRows(rows, src, { blob: this.lastRelativeBlob, server: this.lastBlobServer }, line.offset, line.invalidUtf8 === true, this.options.sendsAt());
    let kept = 0;
    for (const row of rows) {
      if (fitRow(row)) this.stats.cutRows++;
      const rule = matchingRule(this.filters, row);
      if (rule) {
        this.stats.filtered++;
        this.stats.filteredByRule[rule.name] = (this.stats.filteredByRule[rule.name] ?? 0) + 1;
        continue;
      }
      this.stats.rows[row.EventType as keyof PipelineStats['rows']]++;
      if (row.Redacted) this.stats.redacted++;
      rows[kept++] = row;
    }
    rows.length = kept;
    return rows;
  }

  private prefixFor(server: string | null): CompiledPrefix {
    const source = (server !== null ? this.options.serverLogLinePrefixes[server] : undefined) ?? this.options.logLinePrefix;
    let compiled = this.compiled.get(source);
    if (!compiled) {
      compiled = compileLogLinePrefix(source);
      this.compiled.set(source, compiled);
    }
    return compiled;
  }

  private recordRows(result: RecordResult, rawLine: string, rows: PgAuditRow[]): void {
    this.stats.records++;
    if (!result.ok) {
      if (result.kind === 'other-category') countDropped(this.stats, `category ${result.category.slice(0, 40)}`);
      else rows.push(unparsedRow(rawLine, result.reason, this.policy));
      return;
    }
    const record = result.record;
    const server = serverNameOf(record);
    const parsed = parseLogLine(record.message, record.errorLevel, this.prefixFor(server));
    if (!parsed.ok) {
      rows.push(unparsedRow(record.message, parsed.reason, this.policy, record));
      return;
    }
    const line = parsed.line;
    if (!line.prefixMatched) this.stats.prefixMismatches++;
    const key: SessionKey = { server: server ?? '', sessionId: line.fields.sessionId, processId: record.processId ?? line.fields.processId };
    const sqlState = record.sqlerrcode ?? line.fields.sqlState;
    const c = classify(record.errorLevel ?? line.level, sqlState, line.message);
    this.eventRows(c, record, line, key, rows);
  }

  private eventRows(c: Classified, record: DiagnosticRecord, line: LogLine, key: SessionKey, rows: PgAuditRow[]): void {
    const policy = this.policy;
    switch (c.kind) {
      case 'CONNECTION_RECEIVED': {
        const s = this.sessions.start(key);
        if (s) {
          s.clientHost = c.clientHost;
          s.clientPort = c.clientPort;
        }
        countDropped(this.stats, 'connection received (kept for attribution)');
        return;
      }
      case 'CONNECT': {
        const s = this.sessions.upsert(key);
        if (s) {
          s.sawStart = true;
          s.userName = c.userName;
          s.databaseName = c.databaseName;
          followConnect(s, c.applicationName);
        }
        const row = recordRow('CONNECT', record, line, s);
        setText(row, 'Message', line.message, policy);
        rows.push(row);
        return;
      }
      case 'DISCONNECT': {
        const row = recordRow('DISCONNECT', record, line, this.sessions.find(key));
        row.UserName ??= c.userName;
        row.DatabaseName ??= c.databaseName;
        row.ClientHost ??= c.clientHost;
        row.ClientPort ??= c.clientPort;
        setText(row, 'Message', line.message, policy);
        setText(row, 'Detail', record.detail, policy);
        rows.push(row);
        this.sessions.end(key);
        return;
      }
      case 'AUTH_FAILURE': {
        const row = recordRow('AUTH_FAILURE', record, line, this.sessions.find(key));
        // The message names who tried to log in; it wins over the session.
        row.UserName = c.userName ?? row.UserName;
        row.DatabaseName = c.databaseName ?? row.DatabaseName;
        row.ClientHost = row.ClientHost ?? c.clientHost;
        setText(row, 'Message', line.message, policy);
        setText(row, 'Detail', record.detail, policy);
        rows.push(row);
        // A failed login is the end of its backend, and one that never logs a disconnection
        // (PostgreSQL registers that log only once the session is up): forget the session now,
        // or a brute-force attack fills the table and every checkpoint with dead sessions.
        this.sessions.end(key);
        return;
      }
      case 'ERROR': {
        const s = this.sessions.find(key);
        const row = recordRow('ERROR', record, line, s);
        setText(row, 'Message', line.message, policy);
        setText(row, 'Detail', record.detail, policy);
        rows.push(row);
        // The row carries the name the failing statement ran with; a block's undone SETs show after it.
        if (s) applyNameChange(s, errorNameChange(s));
        if (c.endsSession) this.sessions.end(key); // a backend that failed to start (see AUTH_FAILURE)
        return;
      }
      case 'BAD_AUDIT': {
        const row = recordRow('UNPARSED', record, line, this.sessions.find(key));
        setText(row, 'Message', line.message, policy);
        row.Detail = c.reason;
        rows.push(row);
        return;
      }
      case 'AUDIT':
        this.auditRows(c.entry, record, line, key, rows);
        return;
      case 'DROPPED':
        countDropped(this.stats, c.reason);
        return;
    }
  }

  private auditRows(e: AuditEntry, record: DiagnosticRecord, line: LogLine, key: SessionKey, rows: PgAuditRow[]): void {
    const s = this.sessions.upsert(key);
    const gapFrom = s ? this.gapStart(s, e.statementId) : null;
    const { statement, parameter, parameters, redacted } = this.resolveStatement(e, s);
    let change: NameChange | null = null;
    if (s) {
      if (gapFrom !== null) loseTrack(s);
      // Read from the text as the row shows it (redacted): a name never holds what redaction removed.
      const logged = e.statement === NOT_LOGGED || statement === PREVIOUSLY_LOGGED ? null : statement;
      change = auditNameChange(s, { statementId: e.statementId, substatementId: e.substatementId, command: e.command, statement: logged, rows: e.rows });
      if (change?.at === 'row') applyNameChange(s, change);
    }
    const row = recordRow('AUDIT', record, line, s);
    if (gapFrom !== null) {
      rows.push(gapRow(row, gapFrom, e.statementId - 1));
      this.stats.missingStatements += e.statementId - gapFrom;
    }

    const cap = this.policy.cap;
    const capped = capText(statement, cap);
    row.AuditType = e.auditType;
    row.StatementId = e.statementId;
    row.SubstatementId = e.substatementId;
    row.Class = e.className;
    row.Command = e.command;
    row.ObjectType = e.objectType;
    row.ObjectName = e.objectName;
    row.Statement = capped.text;
    // On cut statements only: otherwise the length is strlen(Statement).
    if (capped.truncated) {
      row.StatementTruncated = true;
      row.StatementLength = capped.length;
    }
    row.Parameter = capText(parameter, cap).text;
    row.Parameters = parameters?.map((v) => (v === null ? null : capText(v, cap).text)) ?? null;
    row.Rows = e.rows;
    if (redacted) row.Redacted = true;
    setText(row, 'Detail', record.detail, this.policy);
    rows.push(row);
    if (s && change?.at === 'next') applyNameChange(s, change);
  }

  /** Statement and parameters as the row shows them: redacted, <previously logged> resolved where known. */
  private resolveStatement(e: AuditEntry, s: Session | null): LoggedStatement {
    const previous = s?.lastLogged?.statementId === e.statementId ? s.lastLogged : null;
    if (e.statement === PREVIOUSLY_LOGGED && previous) {
      const { parameter, parameters } = e.parameter === PREVIOUSLY_LOGGED ? previous : e;
      return { ...previous, parameter, parameters };
    }
    const redactor = this.policy.redactor;
    const st = redactor.redact(e.statement);
    const pa = redactor.redact(e.parameter);
    const list = e.parameters?.map((v) => (v === null ? null : redactor.redact(v))) ?? null;
    const logged: LoggedStatement = {
      statementId: e.statementId,
      statement: st.text,
      parameter: pa.text,
      parameters: list?.map((v) => (v === null ? null : v.text)) ?? null,
      redacted: st.redacted || pa.redacted || (list?.some((v) => v?.redacted) ?? false),
    };
    if (s && e.statement !== PREVIOUSLY_LOGGED && e.statement !== NOT_LOGGED) this.sessions.remember(s, logged);
    return logged;
  }

  /**
   * Statement ids rise by exactly 1 per logged statement in a session; a jump is lost records.
   * Returns the first missing id, or null.
   */
  private gapStart(s: Session, id: number): number | null {
    const last = s.lastStatementId;
    // Without the session's start we cannot know what came before its first entry.
    const from = last === null ? (s.sawStart ? 1 : id) : last + 1;
    // A lower id means a new session reused the key (a pid without %c): it starts over there.
    s.lastStatementId = id;
    return id > from ? from : null;
  }
}
