// The `pgaudit-ingest` command. Exit codes: 0 done (bad lines are rows/counts, not failures),
// 1 an input or service could not be used, 2 the command line is wrong. The shipping commands
// are imported when run: the Azure SDKs take ~0.5 s to load, which `parse` and `--help` skip.
import { Command, CommanderError, Option } from 'commander';
import { InputError } from './errors/input-error.js';
import { isCredentialFailure } from './config/credential-failure.js';
import { IngestionError } from './ship/ingestion-error.js';
import { LeaseLostError } from './state/lease-lost-error.js';
import { UsageError } from './errors/usage-error.js';
import { PREFIX_ESCAPES } from './parse/prefix-escapes.js';
import { WORKER_MIN_BYTES } from './cli/decode-thread.js';
import type { CliIo, ParseCliOptions } from './cli/parse-command.js';
import { addPipelineOptions } from './cli/pipeline-options.js';
import type { ReplayCliOptions } from './cli/replay-command.js';
import type { BackfillCliOptions } from './cli/ship-command.js';
import { addShipOptions, addStorageOptions, type ShipCliOptions } from './cli/ship-options.js';
import type { StatusCliOptions } from './cli/status-command.js';

function defaultIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, stderrIsTty: Boolean(process.stderr.isTTY) };
}

const ESCAPE_HELP = PREFIX_ESCAPES.map((e) => `  %${e.letter}  ${e.meaning}`).join('\n');

function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('pgaudit-ingest')
    .description('Turn pgAudit logs from Azure Database for PostgreSQL Flexible Server diagnostic blobs into PgAudit_CL rows.')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();

  addPipelineOptions(
    program
      .command('parse')
      .description('Parse diagnostic blob files (JSON Lines, or legacy {"records":[...]}; .gz accepted) into NDJSON rows on stdout; a summary goes to stderr.')
      .argument('[FILE...]', 'blob files in time order (sessions carry across files); - reads stdin; none parses the bundled sample'),
  )
    .option('-o, --output <file>', 'write rows to a file instead of stdout')
    .addOption(new Option('--summary <format>', 'summary format on stderr').choices(['text', 'json']).default('text'))
    .option('--progress', 'print progress on stderr (default when stderr is a terminal)')
    .option('--no-progress', 'never print progress')
    .addOption(
      new Option('--worker <mode>', `read and decode files in a second thread while the main one builds and writes rows: auto (when the files total ≥ ${WORKER_MIN_BYTES / 1e6} MB), on, off`)
        .choices(['auto', 'on', 'off'])
        .default('auto'),
    )
    .addHelpText(
      'after',
      `\nlog_line_prefix escapes understood (padding such as %-10u works; %q and %% too):\n${ESCAPE_HELP}\n\n` +
        `Examples:\n  pgaudit-ingest parse                      # the bundled sample\n` +
        `  pgaudit-ingest parse PT1H.json > rows.ndjson\n` +
        `  pgaudit-ingest parse -p '%t:%r:%u@%d:[%p]:' h=*/PT1H.json --summary json\n`,
    )
    .action(async (files: string[], opts: ParseCliOptions) => {
      const { runParse } = await import('./cli/parse-command.js');
      setExit(await runParse(files, opts, io));
    });

  const shipExamples =
    `\nCredentials: a connection string (Azurite) or an account URL with DefaultAzureCredential (az login, managed identity,\n` +
    `AZURE_CLIENT_ID for a user-assigned identity). Tokens for the endpoint come from the same credential.\n\nExamples:\n` +
    `  pgaudit-ingest ship --storage https://logs.blob.core.windows.net --endpoint https://dce.ingest.monitor.azure.com \\\n` +
    `      --rule-id dcr-0123456789abcdef0123456789abcdef --log-line-prefix '%m [%p] %q%u@%d '\n`;

  addShipOptions(
    program
      .command('ship')
      .description('Run one sweep: ship every diagnostic blob under --prefix from its checkpoint to the Logs Ingestion API (only new records on a re-run).'),
  )
    .addHelpText('after', shipExamples)
    .action(async (opts: ShipCliOptions) => {
      const { runShip } = await import('./cli/ship-command.js');
      setExit(await runShip(opts, io));
    });

  addShipOptions(
    program
      .command('backfill')
      .description('Ship archived blobs whose hour lies in [--from, --to), from their checkpoints (already shipped ranges are not sent again).')
      .requiredOption('--from <time>', 'first hour, e.g. 2026-11-01 or 2026-11-01T05:00Z')
      .option('--to <time>', 'end (exclusive); default now'),
  )
    .addHelpText('after', shipExamples)
    .action(async (opts: BackfillCliOptions) => {
      const { runBackfill } = await import('./cli/ship-command.js');
      setExit(await runBackfill(opts, io));
    });

  addShipOptions(
    program
      .command('replay')
      .description('Re-send dead-lettered rows; a dead-letter file is deleted once all its rows were accepted (rows refused again move to a new file).')
      .option('--prefix <name-prefix>', 'only dead-letter files whose names start with this, e.g. deadletter/2026-11-22/', '')
      .option('--dry-run', 'list what would be replayed; send nothing'),
    false,
  ).action(async (opts: ReplayCliOptions) => {
    const { runReplay } = await import('./cli/replay-command.js');
    setExit(await runReplay(opts, io));
  });

  addStorageOptions(
    program
      .command('status')
      .description('Per-blob lag: bytes behind (length - checkpoint offset) for every diagnostic blob under --prefix; tab-separated on stdout.')
      .option('--prefix <blob-prefix>', 'only blobs whose names start with this', '')
      .option('--json', 'one JSON object per blob')
      .option('--all', 'include finished (done) blobs'),
  ).action(async (opts: StatusCliOptions) => {
    const { runStatus } = await import('./cli/status-command.js');
    setExit(await runStatus(opts, io));
  });

  return program;
}

/**
 * Failures of a service the user pointed us at (storage, credentials, the ingestion endpoint):
 * a one-line message with what to check, not a stack trace.
 */
function serviceFailure(err: unknown): string | null {
  if (!(err instanceof Error)) return null;
  if (err instanceof IngestionError) {
    const hint = err.context.status === 404 ? 'check --rule-id and --stream' : err.context.status === 403 ? 'the identity needs Monitoring Metrics Publisher on the DCR' : 'check the credential';
    return `${err.message} (${hint})`;
  }
  if (err instanceof LeaseLostError) return err.message;
  const e = err as Error & { statusCode?: number; code?: string };
  if (err.name === 'RestError') return `storage request failed${e.statusCode ? ` with HTTP ${e.statusCode}` : ''}${e.code ? ` (${e.code})` : ''}: ${err.message.split('\n')[0] ?? ''}; check --storage and that the identity has access`;
  if (isCredentialFailure(err)) {
    return `could not get a token: ${err.message.split('\n')[0] ?? ''}; sign in (az login) or run where a managed identity is available`;
  }
  return null;
}

/** Runs the command line; returns the process exit code. */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return 2;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      io.stderr.write(`pgaudit-ingest: ${err.message}\n`);
      return 2;
    }
    if (err instanceof InputError) {
      io.stderr.write(`pgaudit-ingest: ${err.message}\n`);
      return 1;
    }
    const service = serviceFailure(err);
    if (service) {
      io.stderr.write(`pgaudit-ingest: ${service}\n`);
      return 1;
    }
    io.stderr.write(`pgaudit-ingest: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}
