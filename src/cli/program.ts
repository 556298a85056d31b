// The commands of `pgaudit-ingest` and their options. Setting options come from the settings
// model (settings-model.ts: name, default, limits, help, env fallback); command-only options
// (inputs, output format, ranges) are defined here. Shipping commands are imported when run: the
// Azure SDKs are slow to load, and `parse` and `--help` need none of them.
import { Command, Option } from 'commander';
import { INGESTION_KEYS, PIPELINE_KEYS, RUN_KEYS, STORAGE_KEYS } from '../config/settings-model.js';
import { PREFIX_ESCAPES } from '../parse/prefix-escapes.js';
import { BULK_CLASS_CHOICES, BULK_TABLE_NAME, DEFAULT_TIERING_RULE } from '../tiering.js';
import { addSettingOptions, collect } from './cli-settings.js';
import { THREAD_MIN_BYTES } from '../threads/worker-script.js';
import type { CliIo, ParseCliOptions } from './parse-command.js';
import type { ReplayCliOptions } from './replay-command.js';
import type { BackfillCliOptions, ShipCliOptions } from './ship-command.js';
import type { SmokeCliOptions } from './smoke-command.js';
import type { StatusCliOptions } from './status-command.js';

const ESCAPE_HELP = PREFIX_ESCAPES.map((e) => `  %${e.letter}  ${e.meaning}`).join('\n');

const CREDENTIALS =
  `\nCredentials: --storage takes an account URL (used with DefaultAzureCredential: az login, managed identity,\n` +
  `AZURE_CLIENT_ID for a user-assigned identity) or a connection string (Azurite). Tokens for the endpoint come from the\n` +
  `same credential. Every setting option falls back to the app setting of the same meaning (shown as env).\n`;

const SHIP_EXAMPLE =
  `\nExamples:\n  pgaudit-ingest ship --storage https://logs.blob.core.windows.net --state-storage https://state.blob.core.windows.net \\\n` +
  `      --endpoint https://dcr.westeurope-1.ingest.monitor.azure.com --rule-id dcr-0123456789abcdef0123456789abcdef -p '%m [%p] %q%u@%d '\n`;

type Run = (cmd: Command, run: () => Promise<number>) => void;

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('pgaudit-ingest')
    .description('Turn pgAudit logs from Azure Database for PostgreSQL Flexible Server diagnostic blobs into PgAudit_CL rows.')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();
  const action: Run = (cmd, run) => void cmd.action(async () => setExit(await run()));

  const parse = addSettingOptions(
    program
      .command('parse')
      .description('Parse diagnostic blob files (JSON Lines, or legacy {"records":[...]}; gzip accepted) into NDJSON rows on stdout; a summary goes to stderr.')
      .argument('[FILE...]', 'blob files in time order (sessions carry across files); - reads stdin; none parses the bundled sample'),
    PIPELINE_KEYS,
  )
    .option('-o, --output <file>', 'write rows to a file instead of stdout')
    .addOption(new Option('--summary <format>', 'summary format on stderr; json adds bytesByTable and bytesByEventType, the cost split under a tiering rule, and billed (the billed-size estimate beside PGSQLServerLogs and AzureDiagnostics)').choices(['text', 'json']).default('text'))
    .option('--tier-bulk-class <class>', `with --summary json: a class whose session-audit rows go to ${BULK_TABLE_NAME} (repeat it; default ${DEFAULT_TIERING_RULE.bulkClasses.join(', ')}; one of ${BULK_CLASS_CHOICES.join(', ')})`, collect)
    .option('--tier-privileged-user <user>', 'with --summary json: a user whose rows stay in PgAudit_CL (repeat it)', collect)
    .option('--monthly-gb <gb>', 'with --summary json: price a month of this many GB of the same logs in PGSQLServerLogs (list prices to check)')
    .option('--assume-sent-at <time>', 'ISO time the rows would be sent (default: now): EventTime is set on rows whose TimeGenerated Log Analytics would replace then (sent more than 36 h after the event)')
    .option('--monthly-events <n>', 'with --summary json: price a month of this many diagnostic records (list prices to check)')
    .option('--progress', 'print progress on stderr (default when stderr is a terminal)')
    .option('--no-progress', 'never print progress')
    .addOption(
      new Option('--worker <mode>', `read and decode files in a second thread while the main one builds and writes rows: auto (when the files total ≥ ${THREAD_MIN_BYTES / 1e6} MB), on, off`)
        .choices(['auto', 'on', 'off'])
        .default('auto'),
    )
    .addHelpText(
      'after',
      `\nlog_line_prefix escapes understood (padding such as %-10u works; %q and %% too):\n${ESCAPE_HELP}\n\n` +
        `Examples:\n  pgaudit-ingest parse                      # the bundled sample\n` +
        `  pgaudit-ingest parse PT1H.json > rows.ndjson\n` +
        `  pgaudit-ingest parse -p '%t:%r:%u@%d:[%p]:' h=*/PT1H.json --summary json\n` +
        `  pgaudit-ingest parse PT1H.json -o /dev/null --summary json --tier-bulk-class READ --tier-privileged-user migrations\n` +
        `  pgaudit-ingest parse PT1H.json -o /dev/null --summary json --monthly-gb 120   # billed size and monthly cost beside PGSQLServerLogs\n`,
    );
  parse.action(async (files: string[], opts: ParseCliOptions) => {
    const { runParse } = await import('./parse-command.js');
    setExit(await runParse(files, opts, io));
  });

  const shipping = (cmd: Command): Command => addSettingOptions(cmd.option('--prefix <blob-prefix>', 'only blobs whose names start with this', ''), [...STORAGE_KEYS, ...INGESTION_KEYS, ...PIPELINE_KEYS, ...RUN_KEYS]);

  const ship = shipping(
    program.command('ship').description('Run once: ship every diagnostic blob under --prefix from its checkpoint to the Logs Ingestion API (a re-run sends only what is new). Exit 1 when a server or the run stopped.'),
  ).addHelpText('after', CREDENTIALS + SHIP_EXAMPLE);
  action(ship, async () => (await import('./ship-command.js')).runShip(ship.opts<ShipCliOptions>(), io));

  const backfill = shipping(
    program
      .command('backfill')
      .description('Ship archived blobs whose hour lies in [--from, --to), from their checkpoints (ranges already shipped are not sent again).')
      .requiredOption('--from <time>', 'first hour, e.g. 2026-11-01 or 2026-11-01T05:00Z')
      .option('--to <time>', 'end (exclusive); default now'),
  ).addHelpText('after', CREDENTIALS);
  action(backfill, async () => (await import('./ship-command.js')).runBackfill(backfill.opts<BackfillCliOptions>(), io));

  const replay = addSettingOptions(
    program
      .command('replay')
      .description('Re-send dead-lettered rows; a dead-letter file is deleted once all its rows were accepted (rows refused again move to a new file).')
      .option('--prefix <name-prefix>', 'only dead-letter files whose names start with this, e.g. deadletter/2026-11-22/', '')
      .option('--dry-run', 'list what would be replayed; send nothing'),
    [...STORAGE_KEYS, ...INGESTION_KEYS],
  ).addHelpText('after', CREDENTIALS);
  action(replay, async () => (await import('./replay-command.js')).runReplay(replay.opts<ReplayCliOptions>(), io));

  const status = addSettingOptions(
    program
      .command('status')
      .description('Per-blob lag: bytes behind (length - shipped offset) for every diagnostic blob under --prefix; tab-separated on stdout.')
      .option('--prefix <blob-prefix>', 'only blobs whose names start with this', '')
      .option('--json', 'one JSON object per blob')
      .option('--all', 'include done blobs with nothing behind'),
    STORAGE_KEYS,
  ).addHelpText('after', CREDENTIALS);
  action(status, async () => (await import('./status-command.js')).runStatus(status.opts<StatusCliOptions>(), io));

  const check = addSettingOptions(
    program
      .command('check')
      .description('Check that this identity can do what a run needs: upload to the DCR stream (an empty upload), read the logs container, write the state and dead-letter containers. Each failure names its fix; exit 1 if any failed.'),
    [...STORAGE_KEYS, ...INGESTION_KEYS],
  ).addHelpText('after', CREDENTIALS);
  action(check, async () => (await import('./check-command.js')).runCheck(check.opts(), io));

  // Option names only here: smoke-command.ts (and the Azure SDKs) load when the command runs.
  const smoke = addSettingOptions(
    program
      .command('smoke')
      .description(
        'Smoke-test a deployment with your own sign-in: write a small synthetic diagnostic blob (a canary server pgaudit-smoke-<random> in an all-zero ' +
          'subscription, never a real one) into the logs container, then wait until its rows are queryable in PgAudit_CL and its run record in ' +
          'PgAuditIngest_CL. Prints the latency; exit 1 with the fix when something fails or the time runs out. Deletes nothing; the canary blob stays.',
      )
      .option('--workspace <id>', 'the Log Analytics workspace: its id (a GUID) or its resource id (env LOG_ANALYTICS_WORKSPACE_CUSTOMER_ID, else LOG_ANALYTICS_WORKSPACE_ID: azd outputs)')
      .option('--azd-env-file <file>', 'read settings from the output of `azd env get-values` (KEY="value" lines); options win over it, it wins over the environment')
      .option('--timeout-minutes <minutes>', 'give up after this long (decimals allowed)', '20')
      .option('--poll-seconds <seconds>', 'ask the workspace this often (decimals allowed)', '30')
      .option('--query-endpoint <url>', 'the Logs Query API (tests point it at a local endpoint)', 'https://api.loganalytics.io'),
    ['logsStorage', 'clientId', 'logsContainer'],
  ).addHelpText(
    'after',
    `\n--storage falls back to PGAUDIT_LOGS_STORAGE, else https://<LOGS_STORAGE_ACCOUNT_NAME>.blob.core.windows.net (an azd output);\n` +
      `--container to PGAUDIT_LOGS_CONTAINER (an azd output too). Your sign-in (DefaultAzureCredential: az login) needs Storage Blob Data\n` +
      `Contributor on the logs account and Log Analytics Reader on the workspace.\n\n` +
      `Examples:\n  azd env get-values > smoke.env && pgaudit-ingest smoke --azd-env-file smoke.env\n` +
      `  pgaudit-ingest smoke --storage https://stlogsabc.blob.core.windows.net --workspace 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 --timeout-minutes 30\n`,
  );
  action(smoke, async () => (await import('./smoke-command.js')).runSmoke(smoke.opts<SmokeCliOptions>(), io));

  return program;
}
