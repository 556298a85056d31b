// The Bicep CLI for the infra tests (.tools/bicep from scripts/install-bicep.sh, or bicep on PATH),
// the compiled templates, and a simulated deployment of main.bicep (test/infra/arm.ts) in which
// Azure's runtime values are plausible fakes.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Deployment, TEST_SCOPE, type EvaluatedResource } from './arm.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const INFRA = path.join(ROOT, 'infra');
export const MISSING_BICEP = 'Bicep CLI not installed (scripts/install-bicep.sh restores it from NuGet)';

let cachedPath: string | null | undefined;
export function bicepPath(): string | null {
  if (cachedPath !== undefined) return cachedPath;
  const local = path.join(ROOT, '.tools/bicep');
  if (existsSync(local)) return (cachedPath = local);
  const onPath = spawnSync('bicep', ['--version'], { encoding: 'utf8' });
  return (cachedPath = onPath.status === 0 ? 'bicep' : null);
}

export function runBicep(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const bin = bicepPath();
  if (!bin) throw new Error(MISSING_BICEP);
  const r = spawnSync(bin, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Diagnostic lines (`file(line,col) : Error|Warning|Info CODE: message`) in CLI output. */
export function diagnosticsIn(output: string): string[] {
  return output.split('\n').filter((l) => /\) : (Error|Warning|Info) /.test(l));
}

export function bicepFiles(dir = INFRA): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? bicepFiles(path.join(dir, e.name)) : e.name.endsWith('.bicep') ? [path.join(dir, e.name)] : []))
    .sort();
}

const armCache = new Map<string, Record<string, unknown>>();
/** Compiled ARM JSON of a Bicep file (cached: compiling takes a second or two). */
export function armOf(file: string): Record<string, unknown> {
  let arm = armCache.get(file);
  if (!arm) {
    const r = runBicep(['build', file, '--stdout']);
    if (r.status !== 0) throw new Error(`bicep build ${file} failed:\n${r.stderr}`);
    arm = JSON.parse(r.stdout) as Record<string, unknown>;
    armCache.set(file, arm);
  }
  return arm;
}

export const FAKE = {
  clientId: '11111111-2222-3333-4444-555555555555',
  principalId: '66666666-7777-8888-9999-000000000000',
  ingestionEndpoint: 'https://dcr-pgaudit-test-abcd.westeurope-1.ingest.monitor.azure.com',
  immutableId: 'dcr-0123456789abcdef0123456789abcdef',
  workspaceLocation: 'northeurope',
  workspaceCustomerId: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
};

/** What Azure would return from reference() for the resource types main.bicep reads. */
function fakeReference(id: string): unknown {
  const name = id.split('/').at(-1)!;
  if (id.includes('/Microsoft.ManagedIdentity/userAssignedIdentities/')) return { clientId: FAKE.clientId, principalId: FAKE.principalId };
  if (id.includes('/Microsoft.Storage/storageAccounts/')) {
    const ep = (s: string): string => `https://${name}.${s}.core.windows.net/`;
    return { primaryEndpoints: { blob: ep('blob'), queue: ep('queue'), table: ep('table') } };
  }
  if (id.includes('/Microsoft.Insights/dataCollectionRules/')) return { immutableId: FAKE.immutableId, endpoints: { logsIngestion: FAKE.ingestionEndpoint } };
  if (id.includes('/Microsoft.Insights/components/')) return { ConnectionString: 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/' };
  if (id.includes('/Microsoft.OperationalInsights/workspaces/')) return { location: FAKE.workspaceLocation, customerId: FAKE.workspaceCustomerId };
  if (id.includes('/Microsoft.Web/sites/')) return { defaultHostName: `${name}.azurewebsites.net` };
  return undefined;
}

/** main.bicep as ARM would deploy it with these parameters (environmentName defaults to pgtest),
 * into TEST_SCOPE or another subscription and resource group. */
export function deployMain(params: Record<string, unknown> = {}, scope: { subscriptionId: string; resourceGroup: string } = TEST_SCOPE): Deployment {
  return new Deployment(armOf(path.join(INFRA, 'main.bicep')), { environmentName: 'pgtest', ...params }, { reference: fakeReference }, [], scope);
}

export function resourcesOfType(d: Deployment, type: string): EvaluatedResource[] {
  return d.resources().filter((r) => r.type.toLowerCase() === type.toLowerCase());
}
