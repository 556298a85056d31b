// The CLI side of the settings model: every setting a command takes becomes an option named,
// described and defaulted by settings-model.ts, with its app setting as the environment fallback
// (PGAUDIT_FLUSH_MB for --flush-mb). Values are validated by the same resolveSettings the
// Functions app uses. This module loads no zod (option definitions must stay cheap for --help
// and parse); resolveCliSettings loads it through settings.ts when a command runs.
import { Option, type Command } from 'commander';
import { setting, type Resolved, type Setting, type SettingKey } from '../config/settings-model.js';

/** Commander collector for repeatable options. */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function flagsOf(s: Setting): string {
  const cli = s.cli!;
  return `${cli.short ? `${cli.short}, ` : ''}${cli.flag} <${cli.arg}>`;
}

/** The help text of a setting's option: what it is, its default and limits, its app setting. */
export function optionHelp(s: Setting): string {
  const facts = [
    s.default !== undefined ? `default ${s.default === '' ? '""' : s.default}` : null,
    s.min !== undefined ? `${s.min}..${s.max}` : null,
    s.cli?.repeatable ? 'repeatable' : null,
    `env ${s.env}`,
  ].filter(Boolean);
  return `${s.description} (${facts.join('; ')})`;
}

/** Adds the options of these settings to a command. */
export function addSettingOptions(cmd: Command, keys: readonly SettingKey[]): Command {
  for (const key of keys) {
    const s = setting(key);
    if (!s.cli) throw new Error(`setting ${key} has no command-line option`);
    const option = new Option(flagsOf(s), optionHelp(s));
    cmd.addOption(s.cli.repeatable ? option.argParser(collect) : option);
  }
  return cmd;
}

/** Commander's attribute for a setting's option (`--rule-id` → ruleId). */
export function attributeOf(key: SettingKey): string {
  return new Option(flagsOf(setting(key))).attributeName();
}

/**
 * The values of `keys` from a command's parsed options, falling back to the environment (the app
 * setting names) and then to the defaults. Throws SettingsError (exit 2) naming each bad option.
 */
export async function resolveCliSettings<K extends SettingKey, R extends K>(
  opts: Readonly<Record<string, unknown>>,
  keys: readonly K[],
  required: readonly R[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Resolved<K, R>> {
  const { resolveSettings } = await import('../config/settings.js');
  return resolveSettings(keys, required, {
    read: (s) => {
      const given = opts[attributeOf(s.key)];
      if (Array.isArray(given)) return { items: given as string[] };
      if (typeof given === 'string') return { text: given };
      const fromEnv = env[s.env];
      return fromEnv === undefined ? undefined : s.cli?.repeatable && !s.fromCli ? { items: [fromEnv] } : { text: fromEnv };
    },
    origin: (s) => {
      const given = opts[attributeOf(s.key)] !== undefined;
      const fromEnv = env[s.env] !== undefined && !(s.connection && env[s.env] === '');
      return given || !fromEnv ? s.cli!.flag : `${s.env} (fallback for ${s.cli!.flag})`;
    },
    elsewhere: (s) => ` (or set ${s.env})`,
    connections: 'cli',
    env,
  });
}

