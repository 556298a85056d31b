// The options of the pure pipeline, shared by `parse` and the shipping commands.
import type { Command } from 'commander';
import { DEFAULT_STATEMENT_CAP } from '../enrich/cap.js';
import { DEFAULT_LOG_LINE_PREFIX } from '../parse/log-line-prefix.js';

/** Commander collector for repeatable options. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function addPipelineOptions(cmd: Command): Command {
  return cmd
    .option('-p, --log-line-prefix <prefix>', "the servers' log_line_prefix", DEFAULT_LOG_LINE_PREFIX)
    .option('--server-prefix <server=prefix>', 'log_line_prefix for one server (repeatable)', collect, [])
    .option('--statement-cap <chars>', 'cap for Statement, Message, Detail and Parameter', String(DEFAULT_STATEMENT_CAP))
    .option('--redact <pattern>', 'extra redaction regex, or /regex/flags; a group named "secret" limits what is replaced (repeatable)', collect, []);
}
