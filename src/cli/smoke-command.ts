// `smoke`: the first proof in Azure itself, run by the deployer right after `azd up`. Reads its
// targets from options, else an `azd env get-values` file, else the environment (azd's output
// names), writes a canary blob with the caller's own sign-in and waits for it in the workspace
// (src/smoke/smoke-run.ts). A command rather than a script: the same credential chain as the
// other commands, testable against local services, and the same on Windows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LogsQueryClient, LogsQueryResultStatus, type LogsTable } from '@azure/monitor-query';
import { blobServiceClient, defaultCredential } from '../config/azure-clients.js';
import { UsageError } from '../errors/usage-error.js';
import { packageRoot } from '../package-root.js';
import { parseDotenv } from '../smoke/azd-env.js';
import { queryError } from '../smoke/smoke-failures.js';
import { runSmokeTest, type RunQuery } from '../smoke/smoke-run.js';
import { resolveCliSettings } from './cli-settings.js';
import type { CliIo } from './parse-command.js';

export const SMOKE_KEYS = ['logsStorage', 'clientId', 'logsContainer'] as const;
export const DEFAULT_QUERY_ENDPOINT = 'https://api.loganalytics.io';
const QUERY_TIMEOUT_MS = 60_000;

export interface SmokeCliOptions extends Readonly<Record<string, unknown>> {
  readonly workspace?: string;
  readonly queryEndpoint?: string;
  readonly timeoutMinutes: string;
  readonly pollSeconds: string;
  readonly azdEnvFile?: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WORKSPACE_RESOURCE = /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.operationalinsights\/workspaces\/[^/]+$/i;

/**
 * The environment the settings are read from: the process's, overlaid by the azd env file, each
 * layer's `LOGS_STORAGE_ACCOUNT_NAME` (an azd output) standing in for PGAUDIT_LOGS_STORAGE; and
 * the workspace, the file's before the environment's, its GUID before its resource id.
 */
export function smokeEnv(processEnv: NodeJS.ProcessEnv, file: Readonly<Record<string, string>>): { env: NodeJS.ProcessEnv; workspace: string | undefined } {
  const layer = (e: Readonly<Record<string, string | undefined>>): Record<string, string> => {
    const out = Object.fromEntries(Object.entries(e).filter((kv): kv is [string, string] => kv[1] !== undefined));
    if (!out.PGAUDIT_LOGS_STORAGE && out.LOGS_STORAGE_ACCOUNT_NAME) out.PGAUDIT_LOGS_STORAGE = `https://${out.LOGS_STORAGE_ACCOUNT_NAME}.blob.core.windows.net`;
    return out;
  };
  const workspaceOf = (e: Readonly<Record<string, string | undefined>>): string | undefined => e.LOG_ANALYTICS_WORKSPACE_CUSTOMER_ID || e.LOG_ANALYTICS_WORKSPACE_ID || undefined;
  return { env: { ...layer(processEnv), ...layer(file) }, workspace: workspaceOf(file) ?? workspaceOf(processEnv) };
}

function positive(value: string, flag: string, unit: string): number {
  const n = Number(value);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(value) || !(n > 0)) throw new UsageError(`${flag} must be a positive number of ${unit} (got ${JSON.stringify(value)})`);
  return n;
}

function readAzdEnv(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--azd-env-file ${path}: cannot read it (${(err as Error).message}); write it with: azd env get-values > ${path}`);
  }
  try {
    return parseDotenv(text);
  } catch (err) {
    throw new UsageError(`--azd-env-file ${path}: ${(err as Error).message}; expected the output of azd env get-values (KEY="value" lines)`);
  }
}

/** Rows of a result table as objects keyed by column name. */
function rowsOf(table: LogsTable | undefined): Record<string, unknown>[] {
  if (!table) return [];
  return table.rows.map((row) => Object.fromEntries(table.columnDescriptors.map((c, i) => [c.name ?? String(i), row[i]])));
}

/** Queries through the real LogsQueryClient: a workspace GUID or the workspace's resource id. */
function logsQuery(client: LogsQueryClient, workspace: string, log: (m: string) => void): RunQuery {
  return async (query) => {
    try {
      // Events are stamped with the write time; a day covers the run and clock skew.
      const timespan = { duration: 'P1D' };
      // A hung request must not outlast the time budget: abandon it (and ask again next poll).
      const options = { abortSignal: AbortSignal.timeout(QUERY_TIMEOUT_MS) };
      const result = GUID.test(workspace) ? await client.queryWorkspace(workspace, query, timespan, options) : await client.queryResource(workspace, query, timespan, options);
      if (result.status === LogsQueryResultStatus.Success) return rowsOf(result.tables[0]);
      if (result.status === LogsQueryResultStatus.PartialFailure) {
        log(`query partly failed (${result.partialError.message}); using what it returned`);
        return rowsOf(result.partialTables[0]);
      }
      throw new Error('query failed');
    } catch (err) {
      throw queryError(err, workspace) ?? err;
    }
  };
}

export async function runSmoke(o: SmokeCliOptions, io: CliIo, processEnv: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { env, workspace: fromEnv } = smokeEnv(processEnv, o.azdEnvFile ? readAzdEnv(o.azdEnvFile) : {});
  const s = await resolveCliSettings(o, SMOKE_KEYS, ['logsStorage'], env);
  const workspace = (o.workspace ?? fromEnv ?? '').trim();
  if (!workspace) throw new UsageError('--workspace: is required but not set (or set LOG_ANALYTICS_WORKSPACE_CUSTOMER_ID or LOG_ANALYTICS_WORKSPACE_ID, or pass --azd-env-file)');
  if (!GUID.test(workspace) && !WORKSPACE_RESOURCE.test(workspace)) {
    throw new UsageError(`--workspace: must be the workspace id (a GUID) or its resource id /subscriptions/…/providers/Microsoft.OperationalInsights/workspaces/<name> (got ${JSON.stringify(workspace)})`);
  }
  const endpoint = o.queryEndpoint ?? DEFAULT_QUERY_ENDPOINT;
  if (!/^https:\/\//.test(endpoint)) throw new UsageError(`--query-endpoint: must be an https:// URL such as ${DEFAULT_QUERY_ENDPOINT} (got ${JSON.stringify(endpoint)})`);
  const timeoutMs = positive(o.timeoutMinutes, '--timeout-minutes', 'minutes') * 60_000;
  const pollMs = positive(o.pollSeconds, '--poll-seconds', 'seconds') * 1000;

  const log = (m: string): void => void io.stderr.write(`pgaudit-ingest: ${m}\n`);
  const client = new LogsQueryClient(defaultCredential(s.clientId), { endpoint });
  const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  await runSmokeTest(
    {
      container: blobServiceClient(s.logsStorage, s.clientId).getContainerClient(s.logsContainer),
      query: logsQuery(client, workspace, log),
      version,
      log,
      out: (m) => void io.stdout.write(`${m}\n`),
    },
    { timeoutMs, pollMs },
  );
  return 0;
}
