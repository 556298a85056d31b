// Settings resolved from the model (settings-model.ts): the Functions app reads app settings
// (loadSettings), the CLI reads its options with the same names' app settings as fallbacks
// (cli-settings.ts). Both go through resolveSettings, so they accept and reject the same values
// with the same messages; only the name a message starts with differs (PGAUDIT_X or --x).
import { z } from 'zod';
import { APP_KEYS, REQUIRED_FOR_SHIPPING, SETTINGS_BY_KEY, type Resolved, type Setting, type SettingKey, type SettingValues, type SHIP_KEYS } from './settings-model.js';
import { SettingsError } from '../errors/settings-error.js';
import { storageConnectionFromCli, storageConnectionFromEnv } from './storage-connection.js';

/** What the user gave for one setting. */
export type SettingInput = { readonly text: string } | { readonly items: readonly string[] };

export interface SettingSource {
  /** The value given for a setting, or undefined (then its default applies). */
  read(s: Setting): SettingInput | undefined;
  /** How a message names the setting: `PGAUDIT_FLUSH_MB` or `--flush-mb`. */
  origin(s: Setting): string;
  /** Where else a missing setting could be given (the CLI names the app setting). */
  elsewhere?(s: Setting): string;
  /** Connections: the app form reads `<env>__blobServiceUri`…; the CLI form is one value. */
  readonly connections: 'app' | 'cli';
  readonly env: NodeJS.ProcessEnv;
}

function textOf(s: Setting, input: SettingInput): string {
  if ('text' in input) return input.text;
  if (!s.fromCli) return input.items.at(-1) ?? '';
  return s.fromCli(input.items);
}

/**
 * The values of `keys`; a key without a value and without a default is absent, or a problem when
 * it is `required`. Throws one SettingsError listing every problem. An empty value is a value,
 * the same in an app setting and on the command line (an empty log_line_prefix is legal in
 * PostgreSQL; an empty number is an error); only an empty storage connection counts as unset.
 */
export function resolveSettings<K extends SettingKey, R extends K>(keys: readonly K[], required: readonly R[], source: SettingSource): Resolved<K, R> {
  const values: Partial<Record<SettingKey, unknown>> = {};
  const problems: string[] = [];
  for (const key of keys) {
    const s = SETTINGS_BY_KEY.get(key)!;
    const name = source.origin(s);
    if (s.connection && source.connections === 'app') {
      const conn = storageConnectionFromEnv(s.env, source.env, problems, (required as readonly SettingKey[]).includes(key));
      if (conn) values[key] = conn;
      continue;
    }
    const given = source.read(s);
    const input = s.connection && given && 'text' in given && given.text === '' ? undefined : given;
    let text: string | undefined;
    try {
      text = input === undefined ? s.default : textOf(s, input);
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
      continue;
    }
    if (text === undefined) {
      if ((required as readonly SettingKey[]).includes(key)) problems.push(`${name}: is required but not set${source.elsewhere?.(s) ?? ''}`);
      continue;
    }
    const parsed = s.schema(z).safeParse(text);
    if (!parsed.success) {
      problems.push(`${name}: ${parsed.error.issues[0]?.message ?? 'is not valid'} (got ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)})`);
      continue;
    }
    values[key] = s.connection ? storageConnectionFromCli(parsed.data as string) : parsed.data;
  }
  if (problems.length > 0) throw new SettingsError(problems);
  return values as Resolved<K, R>;
}

/** The settings of a shipping run; the state storage defaults to the logs storage. */
export type ShipSettings = Resolved<(typeof SHIP_KEYS)[number], (typeof REQUIRED_FOR_SHIPPING)[number]> & { readonly stateStorage: SettingValues['stateStorage'] };
/** The Functions app's settings: a shipping run's and the timer's schedule. */
export type Settings = ShipSettings & Pick<SettingValues, 'sweepSchedule' | 'dcrShards'>;

/** Fills what one setting defaults to from another: the state storage is the logs storage. */
export function completeSettings<T extends { logsStorage: SettingValues['logsStorage']; stateStorage?: SettingValues['stateStorage'] }>(values: T): T & { stateStorage: SettingValues['stateStorage'] } {
  return { ...values, stateStorage: values.stateStorage ?? values.logsStorage };
}

/** App settings (environment variables) as a source: each setting by its own name. */
function appSettingsSource(env: NodeJS.ProcessEnv): SettingSource {
  return { read: (s) => (env[s.env] === undefined ? undefined : { text: env[s.env]! }), origin: (s) => s.env, connections: 'app', env };
}

/** The app settings, validated once at start-up; throws one SettingsError naming every problem. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  return completeSettings(
    resolveSettings(APP_KEYS, REQUIRED_FOR_SHIPPING, appSettingsSource(env)),
  );
}

/** The launcher's heap cap (PGAUDIT_INGEST_HEAP_MB), by the same rules as every setting. */
export function launcherHeapMb(env: NodeJS.ProcessEnv = process.env): number {
  return resolveSettings(['heapMb'], [], appSettingsSource(env)).heapMb;
}
