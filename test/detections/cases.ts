// What each detection must do on the real fixture rows: the attack rows it must fire on and the
// benign look-alikes it must not (scripts/fixtures/workload-attacks.ts runs both). `checked` says
// how far the test goes (README "Detections" lists it per rule):
// - rows: the rule's own KQL runs over the rows; every row it returns is judged;
// - threshold: the same, with the aggregation and the default threshold; `quiet` raises the
//   threshold past what the workload did and the attack must no longer fire (so the threshold is
//   really evaluated); the test cannot say whether the default suits your traffic;
// - baseline: the same, with the detection window placed inside the fixtures (it starts at
//   `windowStartsAt`) and the baseline covering everything before; a separate test proves the
//   training range ends where the detection window starts. It cannot judge a real 2-day baseline.
import { ATTACK_SCALE } from '../../scripts/fixtures/workload-attacks.js';
import { FIXTURE_ROWS, type Selector } from './fixture-rows.js';

export interface Named {
  readonly name: string;
  readonly row: Selector;
}
export interface RuleCase {
  readonly rule: string;
  readonly checked: 'rows' | 'threshold' | 'baseline';
  readonly attacks: readonly Named[];
  readonly benign: readonly Named[];
  /** threshold rules: let lines that, set past the workload's numbers, silence the attack. */
  readonly quiet?: Record<string, number>;
  /** baseline rules: the row the detection window starts at. */
  readonly windowStartsAt?: Selector;
  /** let lines every run of the case sets (e.g. a change window placed around the fixture hours). */
  readonly lets?: Record<string, string>;
  /** Rows that must fire when these let lines are set as well (e.g. the change window moved away). */
  readonly alsoFires?: { readonly lets: Record<string, string>; readonly attacks: readonly Named[] };
}

// The UTC hours the fixtures were written in: a change window around them, and one that excludes them.
const hours = FIXTURE_ROWS.map((r) => new Date(r.TimeGenerated as number).getUTCHours());
const [firstHour, lastHour] = [hours[0]!, hours.at(-1)!];
const WINDOW_AROUND_FIXTURES = { ChangeWindowStartHour: String(firstHour), ChangeWindowEndHour: String((lastHour + 1) % 24) };
const WINDOW_AWAY_FROM_FIXTURES = { ChangeWindowStartHour: String((lastHour + 1) % 24), ChangeWindowEndHour: String(firstHour) };

const dba = (Statement: RegExp, more: Selector = {}): Selector => ({ UserName: 'dba', EventType: 'AUDIT', Statement, ...more });
const refused = (Message: RegExp, SqlState = '42501'): Selector => ({ UserName: 'intruder', EventType: 'ERROR', SqlState, Message });
const webshop = (Statement: RegExp): Selector => ({ UserName: 'webshop', EventType: 'AUDIT', Statement });

export const CASES: readonly RuleCase[] = [
  {
    rule: 'audit-tampering',
    checked: 'rows',
    attacks: [
      { name: 'SET pgaudit.*', row: dba(/^SET pgaudit\.log_relation/) },
      { name: 'RESET pgaudit.*', row: dba(/^RESET pgaudit\.log_relation/) },
      { name: 'set_config of log_statement', row: dba(/set_config\('log_statement'/) },
      { name: 'ALTER SYSTEM', row: dba(/^ALTER SYSTEM SET pgaudit/) },
      { name: 'ALTER ROLE … SET log_*', row: dba(/^ALTER ROLE webshop SET log_/) },
      { name: 'ALTER DATABASE … SET pgaudit.log', row: dba(/^ALTER DATABASE scratch SET pgaudit\.log/) },
      { name: 'DROP EXTENSION pgaudit', row: dba(/^DROP EXTENSION pgaudit/) },
      { name: 'refused SET pgaudit.log', row: refused(/"pgaudit\.log"/) },
      { name: 'refused ALTER SYSTEM SET log_statement', row: refused(/"log_statement"/) },
    ],
    benign: [
      { name: 'SET search_path', row: webshop(/^SET search_path/) },
      { name: 'SET statement_timeout', row: webshop(/^SET statement_timeout/) },
      { name: 'RESET statement_timeout', row: webshop(/^RESET statement_timeout/) },
      { name: 'session RESET ALL', row: { UserName: 'alice', Command: 'RESET', Statement: /^RESET ALL/ } },
      { name: 'SET ROLE', row: dba(/^SET ROLE/) },
    ],
  },
  {
    rule: 'server-program-files',
    checked: 'rows',
    attacks: [
      { name: 'COPY TO PROGRAM', row: dba(/TO PROGRAM/, { Command: 'COPY' }) },
      { name: 'COPY FROM PROGRAM', row: dba(/FROM PROGRAM/, { Command: 'COPY' }) },
      { name: 'COPY to a server file', row: dba(/^COPY public\.accounts TO '\/dev\/null'/) },
      { name: 'COPY from a server file', row: dba(/^COPY public\.notes FROM '\/dev\/null'/) },
      { name: 'pg_read_file', row: dba(/pg_read_file/) },
      { name: 'pg_ls_dir', row: dba(/pg_ls_dir/) },
      { name: 'lo_import', row: dba(/lo_import/) },
      { name: 'lo_export', row: dba(/lo_export/) },
      { name: 'GRANT pg_execute_server_program', row: dba(/^GRANT pg_execute_server_program/) },
      { name: 'refused COPY PROGRAM', row: refused(/external program/) },
      { name: 'refused COPY to a file', row: refused(/to COPY to a file/) },
      { name: 'refused pg_read_file', row: refused(/function pg_read_file/) },
      { name: 'refused lo_import', row: refused(/function lo_import/) },
      { name: 'refused grant of pg_execute_server_program', row: refused(/admin option on role "pg_execute_server_program"/) },
    ],
    benign: [
      { name: 'COPY TO STDOUT', row: dba(/^COPY public\.orders TO STDOUT/) },
      { name: 'an application reading a few rows', row: webshop(/^SELECT id, customer/) },
      { name: 'a data load', row: { UserName: 'migrations', Command: 'INSERT' } },
    ],
  },
  {
    rule: 'privileged-role-change',
    checked: 'rows',
    attacks: [
      { name: 'ALTER ROLE … SUPERUSER', row: dba(/^ALTER ROLE backdoor SUPERUSER/) },
      { name: 'ALTER ROLE … CREATEROLE BYPASSRLS REPLICATION', row: dba(/^ALTER ROLE backdoor CREATEROLE/) },
      { name: 'refused SUPERUSER', row: refused(/superuser attribute/) },
      { name: 'refused BYPASSRLS', row: refused(/bypassrls attribute/) },
    ],
    benign: [
      { name: 'a user changing its own password (cut at PASSWORD)', row: { UserName: 'erin', Command: 'ALTER ROLE' } },
      { name: 'ALTER ROLE … SET of a setting', row: dba(/^ALTER ROLE webshop SET/) },
    ],
  },
  {
    rule: 'backdoor-login-role',
    checked: 'rows',
    attacks: [
      { name: 'CREATE ROLE … LOGIN PASSWORD (cut by pgAudit)', row: dba(/^CREATE ROLE backdoor LOGIN/) },
      { name: 'refused CREATE ROLE', row: refused(/^permission denied to create role/) },
    ],
    benign: [
      { name: 'the administrator creating a login', row: { UserName: 'postgres', Command: 'CREATE ROLE', Statement: /^CREATE ROLE alice LOGIN/ } },
      { name: 'a NOLOGIN role', row: { UserName: 'postgres', Statement: /^CREATE ROLE auditor NOLOGIN/ } },
    ],
  },
  {
    rule: 'privileged-grants',
    checked: 'rows',
    attacks: [
      { name: 'GRANT azure_pg_admin', row: dba(/^GRANT azure_pg_admin/) },
      { name: 'GRANT pg_read_all_data', row: dba(/^GRANT pg_read_all_data/) },
      { name: 'GRANT pg_write_all_data', row: dba(/^GRANT pg_write_all_data/) },
      { name: 'GRANT … TO PUBLIC', row: dba(/TO PUBLIC$/, { Command: 'GRANT' }) },
      { name: 'ALTER DEFAULT PRIVILEGES', row: dba(/^ALTER DEFAULT PRIVILEGES/) },
      { name: 'refused GRANT pg_read_all_data', row: refused(/admin option on role "pg_read_all_data"/) },
    ],
    benign: [{ name: 'a migration granting SELECT on one table', row: { UserName: 'migrations', Command: 'GRANT' } }],
  },
  {
    rule: 'identity-switch',
    checked: 'rows',
    attacks: [
      { name: 'SET ROLE', row: dba(/^SET ROLE backdoor/) },
      { name: 'SET SESSION AUTHORIZATION', row: dba(/^SET SESSION AUTHORIZATION/) },
      { name: 'SECURITY DEFINER function', row: dba(/SECURITY DEFINER/) },
      { name: 'refused SET ROLE', row: refused(/^permission denied to set role/) },
      { name: 'refused SET SESSION AUTHORIZATION', row: refused(/^permission denied to set session authorization/) },
    ],
    benign: [
      { name: 'SET search_path', row: webshop(/^SET search_path/) },
      { name: 'RESET ROLE', row: dba(/^RESET ROLE/) },
      { name: 'an ordinary function', row: { UserName: 'migrations', Command: 'CREATE FUNCTION' } },
    ],
  },
  {
    rule: 'dangerous-extensions',
    checked: 'rows',
    attacks: [
      { name: 'CREATE EXTENSION file_fdw', row: dba(/^CREATE EXTENSION file_fdw/) },
      { name: 'CREATE LANGUAGE plperlu (logged as CREATE EXTENSION)', row: dba(/^CREATE LANGUAGE plperlu/) },
      { name: 'an untrusted PL that is not installed', row: { UserName: 'dba', EventType: 'ERROR', SqlState: '0A000' } },
      { name: 'refused CREATE EXTENSION', row: refused(/create extension "file_fdw"/) },
    ],
    benign: [{ name: 'CREATE EXTENSION pgaudit', row: dba(/^CREATE EXTENSION pgaudit/) }],
  },
  {
    rule: 'lateral-movement',
    checked: 'rows',
    attacks: [
      { name: 'dblink_connect (FUNCTION)', row: dba(/dblink_connect/, { Command: 'EXECUTE' }) },
      { name: 'dblink_connect (READ)', row: dba(/dblink_connect/, { Class: 'READ' }) },
      { name: 'dblink_exec', row: dba(/dblink_exec/, { Command: 'EXECUTE' }) },
      { name: 'CREATE SERVER', row: dba(/^CREATE SERVER exfil/) },
      { name: 'CREATE USER MAPPING', row: dba(/^CREATE USER MAPPING/) },
      { name: 'IMPORT FOREIGN SCHEMA', row: dba(/^IMPORT FOREIGN SCHEMA/) },
      { name: 'refused CREATE SERVER', row: refused(/foreign-data wrapper/) },
    ],
    benign: [
      { name: 'an ordinary function call', row: { UserName: 'alice', Statement: /^SELECT add_one\(41\)/ } },
      { name: 'dblink_disconnect', row: dba(/dblink_disconnect/) },
    ],
  },
  {
    rule: 'credential-access',
    checked: 'rows',
    attacks: [
      { name: 'SELECT from pg_shadow', row: dba(/FROM pg_shadow/, { ObjectName: 'pg_catalog.pg_shadow', Command: 'SELECT' }) },
      { name: 'refused read of pg_shadow', row: refused(/view pg_shadow/) },
    ],
    benign: [
      { name: 'postgres_fdw reading the catalog', row: { ApplicationName: 'postgres_fdw', ObjectName: 'pg_catalog.pg_namespace' } },
      { name: 'lo_export over pg_largeobject_metadata', row: dba(/lo_export/) },
    ],
  },
  {
    rule: 'event-trigger',
    checked: 'rows',
    attacks: [
      { name: 'CREATE EVENT TRIGGER', row: dba(/^CREATE EVENT TRIGGER/) },
      { name: 'refused CREATE EVENT TRIGGER', row: refused(/create event trigger/) },
    ],
    benign: [{ name: 'the trigger function itself', row: dba(/^CREATE FUNCTION public\.on_ddl/) }],
  },
  {
    rule: 'brute-force',
    checked: 'threshold',
    attacks: [{ name: 'wrong passwords for dba', row: { EventType: 'AUTH_FAILURE', UserName: 'dba' } }],
    benign: [{ name: 'a few wrong passwords for alice', row: { EventType: 'AUTH_FAILURE', UserName: 'alice', ClientHost: '127.0.0.1' } }],
    quiet: { Threshold: ATTACK_SCALE.bruteForce + 1 },
  },
  {
    rule: 'password-spray',
    checked: 'threshold',
    attacks: [{ name: 'one client, many users', row: { EventType: 'AUTH_FAILURE', ClientHost: '::1' } }],
    benign: [{ name: 'failures from the other client', row: { EventType: 'AUTH_FAILURE', ClientHost: '127.0.0.1' } }],
    quiet: { Threshold: ATTACK_SCALE.sprayUsers + 1 },
  },
  {
    rule: 'success-after-failures',
    checked: 'threshold',
    attacks: [{ name: 'the login after the brute force', row: { EventType: 'CONNECT', UserName: 'dba', ClientHost: '127.0.0.1', ApplicationName: 'psql', DatabaseName: 'shop' } }],
    benign: [{ name: 'logins of users without failures', row: { EventType: 'CONNECT', UserName: 'webshop' } }],
    quiet: { Threshold: ATTACK_SCALE.bruteForce + 1 },
  },
  {
    rule: 'first-seen-access',
    checked: 'baseline',
    windowStartsAt: { EventType: 'CONNECT', UserName: 'dba', DatabaseName: 'scratch' },
    attacks: [{ name: 'the application user from a new address with pg_dump', row: { EventType: 'CONNECT', UserName: 'webshop', ClientHost: '::1' } }],
    benign: [{ name: 'a known user, client and application', row: { EventType: 'CONNECT', UserName: 'dba', DatabaseName: 'scratch' } }],
  },
  {
    rule: 'bulk-read-baseline',
    checked: 'baseline',
    windowStartsAt: webshop(/^SELECT id, customer/),
    attacks: [{ name: 'the whole orders table', row: dba(/^SELECT \* FROM public\.orders/) }],
    benign: [{ name: 'an application reading a few rows', row: { UserName: 'webshop', Class: 'READ', Command: 'SELECT' } }],
  },
  {
    rule: 'copy-to-stdout',
    checked: 'rows',
    attacks: [
      { name: 'COPY … TO STDOUT', row: dba(/^COPY public\.orders TO STDOUT/) },
      { name: 'pg_dump from a new client', row: { UserName: 'webshop', ApplicationName: 'pg_dump', Command: 'COPY' } },
    ],
    benign: [{ name: 'COPY to a server file', row: dba(/^COPY public\.accounts TO '\/dev\/null'/) }],
  },
  {
    rule: 'many-tables-read',
    checked: 'threshold',
    attacks: [{ name: 'a sweep over the loot tables', row: dba(/^SELECT count\(\*\) FROM loot\.t/) }],
    benign: [
      { name: 'an application reading one table', row: { UserName: 'webshop', Class: 'READ' } },
      { name: 'postgres_fdw reading the catalog', row: { ApplicationName: 'postgres_fdw', Class: 'READ' } },
    ],
    // t1 … t10 plus public.orders: one more than that is quiet.
    quiet: { Threshold: ATTACK_SCALE.lootTables + 2 },
  },
  {
    rule: 'mass-destruction',
    checked: 'threshold',
    attacks: [
      { name: 'many DROP TABLE', row: dba(/^DROP TABLE loot\.t/) },
      { name: 'a DELETE of every row', row: dba(/^DELETE FROM public\.orders_copy/) },
    ],
    benign: [
      { name: 'a migration dropping one table', row: { UserName: 'migrations', Command: 'DROP TABLE' } },
      { name: 'a DELETE of one row', row: { UserName: 'carol', Command: 'DELETE' } },
    ],
    // The loot tables, the TRUNCATE and DROP EXTENSION pgaudit are the drops; the DELETE has bulkRows rows.
    quiet: { DropThreshold: ATTACK_SCALE.lootTables + 3, RowsThreshold: ATTACK_SCALE.bulkRows + 1 },
  },
  {
    rule: 'sql-injection-recon',
    checked: 'threshold',
    attacks: [{ name: 'the probes of the shop API', row: { UserName: 'webshop', EventType: 'ERROR', SqlState: /^(42601|42P01|42703|42883|22P02)$/ } }],
    benign: [{ name: 'a few failing statements of an ETL job', row: { UserName: 'erin', EventType: 'ERROR' } }],
    // One probe is 42P10 (not counted), so as many as the probes is quiet.
    quiet: { Threshold: ATTACK_SCALE.probes },
  },
  {
    rule: 'injection-probe',
    checked: 'baseline',
    // The window holds the short attacks and their look-alikes; everything before is the baseline
    // (webshop's long burst there too: its states are usual for webshop, not for billing).
    windowStartsAt: { EventType: 'CONNECT', UserName: 'catalog' },
    attacks: [{ name: 'four SQLSTATEs in two seconds from the application user', row: { UserName: 'billing', EventType: 'ERROR' } }],
    benign: [
      { name: 'a broken deployment repeating two errors', row: { UserName: 'catalog', EventType: 'ERROR' } },
      { name: 'a person mistyping in psql, seconds apart', row: { UserName: 'analyst', EventType: 'ERROR' } },
      { name: 'a report job failing with the same three states it failed with in the baseline', row: { UserName: 'reports', EventType: 'ERROR', Message: /2026/ } },
    ],
    // Without a baseline (it ends before it starts) the report job's usual errors are a probe too.
    alsoFires: { lets: { Baseline: '1ms' }, attacks: [{ name: 'the report job, once its usual states are not known', row: { UserName: 'reports', EventType: 'ERROR', Message: /2026/ } }] },
    // The probe had four distinct states.
    quiet: { MinStates: ATTACK_SCALE.shortProbeStates + 1 },
  },
  {
    rule: 'destructive-statement',
    checked: 'rows',
    lets: WINDOW_AROUND_FIXTURES,
    attacks: [
      { name: 'TRUNCATE of a business table', row: { UserName: 'billing', Command: 'TRUNCATE TABLE' } },
      { name: 'DROP SCHEMA … CASCADE', row: { UserName: 'billing', Command: 'DROP SCHEMA' } },
      { name: 'DROP DATABASE', row: { UserName: 'billing', Command: 'DROP DATABASE' } },
      { name: 'DELETE without WHERE', row: { UserName: 'billing', Command: 'DELETE', Statement: /^DELETE FROM billing\.payments$/ } },
      { name: 'UPDATE of thousands of rows (Rows)', row: { UserName: 'billing', Command: 'UPDATE', Rows: ATTACK_SCALE.invoices } },
      { name: 'the superuser emptying a table', row: dba(/^(DELETE FROM|TRUNCATE) public\.orders_copy$/) },
    ],
    benign: [
      { name: 'the application deleting one row', row: { UserName: 'billing', Command: 'DELETE', Statement: /WHERE id = 40$/ } },
      { name: 'the application updating one row', row: { UserName: 'billing', Command: 'UPDATE', Statement: /WHERE id = 7$/ } },
      { name: 'a migration user emptying and dropping in its window', row: { UserName: 'migrations', Statement: /^(UPDATE|DELETE FROM|TRUNCATE) public\.staging|^DROP SCHEMA old_reports CASCADE$/ } },
      { name: 'updates with WHERE of a few rows', row: { UserName: 'dave', Command: 'UPDATE' } },
    ],
    // The same migration rows fire outside the change window.
    alsoFires: { lets: WINDOW_AWAY_FROM_FIXTURES, attacks: [{ name: 'a migration user emptying and dropping outside its window', row: { UserName: 'migrations', Statement: /^(UPDATE|DELETE FROM|TRUNCATE) public\.staging|^DROP SCHEMA old_reports CASCADE$/ } }] },
  },
];
