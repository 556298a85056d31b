// Each way the smoke test can fail, as a SmokeError whose hint is the fix. Kept apart from the
// run so the wording of every failure is in one place (docs/deploy.md "Smoke test" lists them).
import type { ContainerClient } from '@azure/storage-blob';
import { isCredentialFailure } from '../errors/credential-failure.js';
import { SmokeError } from '../errors/smoke-error.js';
import type { Assessment } from './assess.js';
import type { Canary } from './canary.js';

interface RestLike {
  readonly name?: string;
  readonly statusCode?: number;
  readonly code?: string;
  readonly message?: string;
}

const firstLine = (err: unknown): string => String((err as RestLike | null)?.message ?? err).split('\n')[0] ?? '';
const NO_TOKEN_HINT = 'sign in with az login (DefaultAzureCredential), or set AZURE_CLIENT_ID for a user-assigned identity';

/** The account name of a blob endpoint (https://<name>.blob.core.windows.net), for the fixes. */
function accountOf(container: ContainerClient): string {
  return container.accountName || new URL(container.url).hostname.split('.')[0] || '<logs account>';
}

/** Why the canary could not be written, and what to do. */
export function blobWriteError(err: unknown, container: ContainerClient): SmokeError {
  if (isCredentialFailure(err)) return new SmokeError('NoToken', `could not get a token for the logs account: ${firstLine(err)}`, { hint: NO_TOKEN_HINT, cause: err });
  const e = (err ?? {}) as RestLike;
  const where = `${container.url}`;
  const account = accountOf(container);
  if (e.statusCode === 403) {
    const network = e.code === 'AuthorizationFailure';
    return new SmokeError('BlobWriteForbidden', `writing the canary into ${where} was refused (HTTP 403${e.code ? ` ${e.code}` : ''})`, {
      hint:
        (network ? 'the account refused the request itself: check its firewall and network rules (allow your address) and, with a connection string, its key; ' : '') +
        `your sign-in needs Storage Blob Data Contributor on the logs account (the deployment gives the function only Reader there): ` +
        `az role assignment create --assignee <you> --role "Storage Blob Data Contributor" --scope $(az storage account show -n ${account} --query id -o tsv); ` +
        'a new role assignment takes up to 10 minutes to apply',
      cause: err,
    });
  }
  if (e.statusCode === 409) {
    return new SmokeError('BlobWriteFailed', `a blob of the canary's name already exists in ${where} (HTTP 409${e.code ? ` ${e.code}` : ''}); nothing was overwritten`, { hint: 'run the smoke test again: every run picks a new random canary name', cause: err });
  }
  if (e.name === 'RestError' && e.statusCode === undefined) {
    return new SmokeError('BlobWriteFailed', `cannot reach ${where}: ${firstLine(err)}`, { hint: 'check the account name (--storage, LOGS_STORAGE_ACCOUNT_NAME) and your network', cause: err });
  }
  return new SmokeError('BlobWriteFailed', `writing the canary into ${where} failed${e.statusCode ? ` with HTTP ${e.statusCode}` : ''}${e.code ? ` (${e.code})` : ''}: ${firstLine(err)}`, {
    hint: 'check the logs account (--storage) and container (--container); pgaudit-ingest status --storage <logs account> shows whether you can list it',
    cause: err,
  });
}

/** A query error that asking again cannot fix, or null (throttling, 5xx, network: ask again). */
export function queryError(err: unknown, workspace: string): SmokeError | null {
  if (isCredentialFailure(err)) return new SmokeError('NoToken', `could not get a token for Log Analytics: ${firstLine(err)}`, { hint: NO_TOKEN_HINT, cause: err });
  const e = (err ?? {}) as RestLike;
  const what = `querying the workspace ${workspace} failed with HTTP ${e.statusCode}${e.code ? ` (${e.code})` : ''}: ${firstLine(err)}`;
  switch (e.statusCode) {
    case 401:
      return new SmokeError('QueryUnauthorized', what, { hint: 'sign in to the tenant of the workspace (az login --tenant <tenant id>)', cause: err });
    case 403:
      return new SmokeError('QueryForbidden', what, {
        hint: `your sign-in needs Log Analytics Reader (or Reader) on the workspace: az role assignment create --assignee <you> --role "Log Analytics Reader" --scope <LOG_ANALYTICS_WORKSPACE_ID>; a new role assignment takes up to 10 minutes to apply`,
        cause: err,
      });
    case 404:
      return new SmokeError('QueryNotFound', what, { hint: 'check --workspace: the workspace id (a GUID, LOG_ANALYTICS_WORKSPACE_CUSTOMER_ID) or its resource id (LOG_ANALYTICS_WORKSPACE_ID) of this deployment', cause: err });
    case 400:
      return new SmokeError('QueryRejected', what, {
        hint: 'the workspace lacks PgAudit_CL or PgAuditIngest_CL: check that --workspace is the workspace azd provisioned (the tables are created there), or run azd provision',
        cause: err,
      });
    default:
      return null;
  }
}

/** The time is up: what was and was not seen, and where to look. */
export function timeoutError(canary: Canary, last: Assessment | null, elapsedMs: number, lastProblem: string | null): SmokeError {
  const minutes = (elapsedMs / 60_000).toFixed(1);
  const query = `PgAudit_CL | where ServerName == '${canary.serverName}'`;
  const later = `the canary stays; look later with: ${query}`;
  const errors = last && last.errors.length > 0 ? `; error run records: ${last.errors.join('; ')}` : '';
  if (!last) {
    return new SmokeError('SmokeTimeout', `no query succeeded in ${minutes} min${lastProblem ? ` (last: ${lastProblem})` : ''}`, { hint: `check your network to the Log Analytics endpoint (--query-endpoint) and the workspace id; ${later}` });
  }
  const seen = `${last.rowsFound} of ${last.rowsExpected} canary row(s) in PgAudit_CL and ${last.runRecordComplete ? `a run record (${last.rowsShipped} row(s) shipped)` : 'no run record'} after ${minutes} min`;
  if (last.rowsFound === 0 && !last.runRecordComplete) {
    return new SmokeError('SmokeTimeout', `${seen}: the app did not ship the canary blob ${canary.blobName}${errors}`, {
      hint:
        'check, in order: the Event Grid subscription pgaudit-blob-created on the logs account\'s system topic and its delivery metrics (azd hooks run postdeploy re-creates it); ' +
        'the function app\'s traces in Application Insights (pgaudit-ingest.summary, errors, e.g. a missing role); ' +
        `pgaudit-ingest status --storage <logs account> --state-storage <function's account> --prefix '${canary.serverPath}' (how far the blob was shipped); ` +
        `without the event the sweep finds a new server within the hour; ${later}`,
    });
  }
  if (last.runRecordComplete) {
    return new SmokeError('SmokeTimeout', `${seen}: the app shipped the canary, but not every row is queryable yet${errors}`, {
      hint: `ingestion into a new table can take longer than 10 minutes: re-run with a longer --timeout-minutes or look later; if rows never arrive, check DCRLogErrors (the DCR's transformation) in the workspace; ${later}`,
    });
  }
  return new SmokeError('SmokeTimeout', `${seen}: rows arrived but the run record did not${errors}`, {
    hint: 'check the run-record stream (PGAUDIT_RUN_STREAM_NAME, table PgAuditIngest_CL) and the function app\'s log (records that cannot be sent are logged there); run records may also still be on their way: look later',
  });
}
