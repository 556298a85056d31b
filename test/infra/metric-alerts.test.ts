// Metric alerts (and any metric item of the workbook) may only use metrics that exist: namespace,
// name, aggregation and dimensions as Microsoft's supported-metrics reference lists them
// (infra/schemas/metrics.json keeps those rows with their source). A wrong metric name does not
// fail a deployment visibly in every case, and an alert on a metric that never reports never fires.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- evaluated ARM JSON is untyped; the assertions are the type check */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireOrSkip } from '../helpers/tools.js';
import { bicepPath, deployMain, INFRA, MISSING_BICEP, resourcesOfType } from './bicep.js';

interface MetricRow { aggregations: string[]; dimensions: string[]; timeGrains: string[] }
const METRICS = JSON.parse(readFileSync(path.join(INFRA, 'schemas/metrics.json'), 'utf8')) as { namespaces: Record<string, { metrics: Record<string, MetricRow> }> };

interface Criterion { metricNamespace: string; metricName: string; timeAggregation: string; dimensions?: { name: string }[] }
const minutes = (iso: string): number => {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?$/.exec(iso);
  if (!m) throw new Error(`not a PTnHnM duration: ${iso}`);
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
};

/** What is wrong with a metric criterion against the reference rows (empty: nothing). Azure
 * resource type names are case-insensitive, so the namespace is compared that way. */
function metricProblems(c: Criterion, windowSize = 'PT5M', frequency = 'PT1M'): string[] {
  const ns = Object.entries(METRICS.namespaces).find(([n]) => n.toLowerCase() === c.metricNamespace.toLowerCase())?.[1];
  if (!ns) return [`namespace ${c.metricNamespace} is not in metrics.json`];
  const row = ns.metrics[c.metricName];
  if (!row) return [`${c.metricNamespace} has no metric ${c.metricName}`];
  const out: string[] = [];
  if (!row.aggregations.includes(c.timeAggregation)) out.push(`${c.metricName} takes ${row.aggregations.join('/')}, not ${c.timeAggregation}`);
  for (const d of c.dimensions ?? []) if (!row.dimensions.includes(d.name)) out.push(`${c.metricName} has no dimension ${d.name}`);
  const grain = Math.min(...row.timeGrains.map(minutes));
  for (const [what, iso] of [['windowSize', windowSize], ['evaluationFrequency', frequency]] as const) if (minutes(iso) % grain !== 0) out.push(`${what} ${iso} is not a multiple of the ${grain}-minute time grain`);
  return out;
}

describe('metric alerts', () => {
  it('use only metrics, aggregations and dimensions the reference lists, on a resource of that namespace', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain();
    const alerts = resourcesOfType(d, 'Microsoft.Insights/metricAlerts');
    expect(alerts.length).toBeGreaterThan(0);
    const scopes = new Map(d.resources().map((r) => [r.type.toLowerCase(), r.type]));
    for (const a of alerts) {
      const p = a.properties;
      const criteria = p.criteria.allOf as Criterion[];
      expect(criteria.length, String(a.name)).toBeGreaterThan(0);
      for (const c of criteria) {
        expect(metricProblems(c, p.windowSize as string, p.evaluationFrequency as string), `${String(a.name)} ${c.metricName}`).toEqual([]);
        // The alert watches the resource type whose metric it names.
        for (const scope of p.scopes as string[]) expect(scope.toLowerCase(), String(a.name)).toContain(`/providers/${c.metricNamespace.toLowerCase()}/`);
        expect(scopes.has(c.metricNamespace.toLowerCase()), c.metricNamespace).toBe(true);
      }
    }
  });

  it('with pipeline-silent windows other than the default still fit the time grain', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    for (const pipelineSilentMinutes of [5, 15, 30, 60, 360, 720]) {
      for (const a of resourcesOfType(deployMain({ health: { pipelineSilentMinutes } }), 'Microsoft.Insights/metricAlerts'))
        for (const c of a.properties.criteria.allOf as Criterion[]) expect(metricProblems(c, a.properties.windowSize as string, a.properties.evaluationFrequency as string)).toEqual([]);
    }
  });

  it('reject an unknown metric, a wrong aggregation, a wrong dimension and an unknown namespace', () => {
    const good: Criterion = { metricNamespace: 'Microsoft.Insights/dataCollectionRules', metricName: 'ApiCallReceived_Count', timeAggregation: 'Count', dimensions: [{ name: 'ResponseCode' }] };
    expect(metricProblems(good)).toEqual([]);
    expect(metricProblems({ ...good, metricName: 'ApiCallsReceived_Count' })).toEqual(['Microsoft.Insights/dataCollectionRules has no metric ApiCallsReceived_Count']);
    expect(metricProblems({ ...good, timeAggregation: 'Total' })[0]).toMatch(/takes Count, not Total/);
    expect(metricProblems({ ...good, dimensions: [{ name: 'StreamName' }] })[0]).toMatch(/no dimension StreamName/);
    expect(metricProblems({ ...good, metricNamespace: 'Microsoft.Web/sites' })[0]).toMatch(/not in metrics.json/);
  });
});

describe('workbook metric items', () => {
  type Item = { type: number; content: { items?: Item[]; metrics?: { namespace: string; metric: string }[] } };
  const walk = (items: Item[]): Item[] => items.flatMap((i) => [i, ...walk(i.content.items ?? [])]);
  it('name only metrics of the reference (the workbook has none today: it charts logs)', () => {
    const wb = JSON.parse(readFileSync(path.join(INFRA, 'workbooks/pgaudit.workbook.json'), 'utf8')) as { items: Item[] };
    const all = walk(wb.items);
    expect(all.length).toBeGreaterThan(10);
    // Metric item ids are "<namespace>-<category>-<metric>" (schema/workbook.json example
    // "microsoft.storage/storageaccounts-Transaction-SuccessE2ELatency"): the last part is the metric.
    for (const m of all.filter((i) => i.type === 10).flatMap((i) => i.content.metrics ?? [])) {
      const ns = Object.entries(METRICS.namespaces).find(([n]) => n.toLowerCase() === m.namespace.toLowerCase())?.[1];
      expect(ns?.metrics[m.metric.split('-').at(-1)!], `${m.namespace} ${m.metric}`).toBeDefined();
    }
  });
});
