// The `pgaudit-ingest` command. Exit codes: 0 done (bad lines are rows and counts, not failures),
// 1 an input or a service could not be used, 2 the command line or settings are wrong. Every
// failure a user can act on is a PgAuditError (message, hint, exit code); anything else is a bug
// and is printed with its stack.
import { CommanderError } from 'commander';
import { PgAuditError } from './errors/pgaudit-error.js';
import { runErrorOf } from './errors/run-error.js';
import type { CliIo } from './cli/parse-command.js';
import { buildProgram } from './cli/program.js';

function defaultIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, stderrIsTty: Boolean(process.stderr.isTTY) };
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
    if (err instanceof PgAuditError) {
      io.stderr.write(`pgaudit-ingest: ${err.describe()}\n`);
      return err.exitCode;
    }
    // Storage and credential failures from the SDKs, in one line with what to check.
    const known = runErrorOf(null, err);
    if (known.code !== 'Unexpected') {
      io.stderr.write(`pgaudit-ingest: ${known.message}${known.hint ? ` (${known.hint})` : ''}\n`);
      return 1;
    }
    io.stderr.write(`pgaudit-ingest: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}
