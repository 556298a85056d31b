// The `pgaudit-ingest` command. Exit codes: 0 done (bad lines are rows/counts, not failures),
// 1 an input or service could not be used, 2 the command line is wrong.
import { Command, CommanderError, Option } from 'commander';
import { InputError } from './errors/input-error.js';
import { UsageError } from './errors/usage-error.js';
import { DEFAULT_STATEMENT_CAP } from './enrich/cap.js';
import { DEFAULT_LOG_LINE_PREFIX } from './parse/log-line-prefix.js';
import { PREFIX_ESCAPES } from './parse/prefix-escapes.js';
import { runParse, type CliIo, type ParseCliOptions } from './cli/parse-command.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

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

  program
    .command('parse')
    .description('Parse diagnostic blob files (JSON Lines, or legacy {"records":[...]}; .gz accepted) into NDJSON rows on stdout; a summary goes to stderr.')
    .argument('[FILE...]', 'blob files in time order (sessions carry across files); - reads stdin; none parses the bundled sample')
    .option('-p, --log-line-prefix <prefix>', "the server's log_line_prefix", DEFAULT_LOG_LINE_PREFIX)
    .option('--server-prefix <server=prefix>', 'log_line_prefix for one server (repeatable)', collect, [])
    .option('--statement-cap <chars>', 'cap for Statement, Message, Detail and Parameter', String(DEFAULT_STATEMENT_CAP))
    .option('--redact <pattern>', 'extra redaction regex, or /regex/flags; a group named "secret" limits what is replaced (repeatable)', collect, [])
    .option('-o, --output <file>', 'write rows to a file instead of stdout')
    .addOption(new Option('--summary <format>', 'summary format on stderr').choices(['text', 'json']).default('text'))
    .option('--progress', 'print progress on stderr (default when stderr is a terminal)')
    .option('--no-progress', 'never print progress')
    .addHelpText(
      'after',
      `\nlog_line_prefix escapes understood (padding such as %-10u works; %q and %% too):\n${ESCAPE_HELP}\n\n` +
        `Examples:\n  pgaudit-ingest parse                      # the bundled sample\n` +
        `  pgaudit-ingest parse PT1H.json > rows.ndjson\n` +
        `  pgaudit-ingest parse -p '%t:%r:%u@%d:[%p]:' h=*/PT1H.json --summary json\n`,
    )
    .action(async (files: string[], opts: ParseCliOptions) => {
      setExit(await runParse(files, opts, io));
    });

  return program;
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
    io.stderr.write(`pgaudit-ingest: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}
