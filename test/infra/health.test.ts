// The health alerts of the pipeline (infra/modules/health-alerts.bicep), read from a simulated
// deployment of main.bicep: which rules exist with which windows, thresholds and scopes, that each
// can be turned off, that the pipeline-silent window follows the sweep schedule, that the settings
// object is checked like ARM checks it, and, for every log alert of the deployment, that the
// columns the rule measures and splits by are columns the query returns (Kusto.Language).
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-explicit-any -- evaluated ARM JSON is untyped; the assertions are the type check */
import { describe, expect, it } from 'vitest';
import { RUN_COLUMNS, RUN_TABLE_NAME } from '../../src/run-record-schema.js';
import { COLUMNS, TABLE_NAME } from '../../src/schema.js';
import { resultColumns } from '../helpers/kusto.js';
import { requireOrSkip } from '../helpers/tools.js';
import { ArmFailure, type EvaluatedResource } from './arm.js';
import { bicepPath, deployMain, MISSING_BICEP, resourcesOfType } from './bicep.js';

const TABLES = { [TABLE_NAME]: COLUMNS, [RUN_TABLE_NAME]: RUN_COLUMNS };
const LOG = 'Microsoft.Insights/scheduledQueryRules';
const METRIC = 'Microsoft.Insights/metricAlerts';

/** The health rules of a deployment by short name (sqr-pgaudit-<name>-<token>, ma-pgaudit-<name>-<token>). */
function healthRules(params: Record<string, unknown> = {}): Record<string, EvaluatedResource> {
  const d = deployMain(params);
  const rules = [...resourcesOfType(d, LOG), ...resourcesOfType(d, METRIC)].filter((r) => r.path.includes('health-alerts'));
  return Object.fromEntries(rules.map((r) => [`${r.type === METRIC ? 'metric:' : ''}${/^[a-z]+-pgaudit-([a-z-]+)-[a-z0-9]{13}$/.exec(String(r.name))![1]!}`, r]));
}
const condition = (r: EvaluatedResource): Record<string, any> => r.properties.criteria.allOf[0] as Record<string, any>;

// What each rule is with default settings: severity, window, frequency, and its condition.
const DEFAULTS = [
  { rule: 'metric:pipeline-silent', severity: 1, window: 'PT15M', frequency: 'PT5M', condition: { metricName: 'ApiCallReceived_Count', timeAggregation: 'Count', operator: 'LessThan', threshold: 1 } },
  { rule: 'pipeline-heartbeats', severity: 1, window: 'PT30M', frequency: 'PT5M', condition: { metricMeasureColumn: 'Heartbeats', timeAggregation: 'Total', operator: 'LessThan', threshold: 1 } },
  { rule: 'dead-letters', severity: 2, window: 'PT15M', frequency: 'PT5M', condition: { timeAggregation: 'Count', operator: 'GreaterThan', threshold: 0 } },
  { rule: 'ingest-lag', severity: 2, window: 'PT15M', frequency: 'PT5M', condition: { metricMeasureColumn: 'BytesBehind', timeAggregation: 'Minimum', operator: 'GreaterThan', threshold: 100000000, failingPeriods: { numberOfEvaluationPeriods: 2, minFailingPeriodsToAlert: 2 } } },
  { rule: 'ingest-errors', severity: 2, window: 'PT15M', frequency: 'PT5M', condition: { timeAggregation: 'Count', operator: 'GreaterThan', threshold: 0 } },
  { rule: 'server-silent', severity: 2, window: 'PT6H', frequency: 'PT1H', condition: { timeAggregation: 'Count', operator: 'GreaterThan', threshold: 0 } },
  // Per DCR shard (a, shard 0, is the only one by default): throttled requests, and bytes near 2 GB per minute (70 % over 15 minutes).
  { rule: 'metric:dcr-a-throttled', severity: 2, window: 'PT15M', frequency: 'PT5M', condition: { metricName: 'ApiCallReceived_Count', dimensions: [{ name: 'ResponseCode', operator: 'Include', values: ['429'] }], timeAggregation: 'Count', operator: 'GreaterThan', threshold: 60 } },
  { rule: 'metric:dcr-a-bytes', severity: 3, window: 'PT15M', frequency: 'PT5M', condition: { metricName: 'BytesReceived_Count', timeAggregation: 'Total', operator: 'GreaterThan', threshold: 15 * 0.7 * 2_000_000_000 } },
];

describe('health alerts with default settings', () => {
  it('are exactly these rules', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    expect(Object.keys(healthRules()).sort()).toEqual(DEFAULTS.map((r) => r.rule).sort());
  });

  it.for(DEFAULTS)('$rule: severity $severity, window $window every $frequency', ({ rule, severity, window, frequency, condition: expected }, ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const r = healthRules()[rule]!;
    expect(r.properties).toMatchObject({ severity, windowSize: window, evaluationFrequency: frequency, enabled: true });
    expect(condition(r)).toMatchObject(expected);
    if (r.type === LOG) {
      // Rules without a measure count rows: no metricMeasureColumn at all (not a null one).
      if (!('metricMeasureColumn' in expected)) expect(condition(r)).not.toHaveProperty('metricMeasureColumn');
      if (!('failingPeriods' in expected)) expect(condition(r).failingPeriods).toEqual({ numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 });
    }
  });

  it('log alerts run on the workspace, the metric alert on the DCR, all notify the action group', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain();
    const [workspace] = resourcesOfType(d, 'Microsoft.OperationalInsights/workspaces');
    const [dcr] = resourcesOfType(d, 'Microsoft.Insights/dataCollectionRules');
    const [group] = resourcesOfType(d, 'Microsoft.Insights/actionGroups');
    const id = (r: EvaluatedResource) => new RegExp(`/providers/${r.type.replace('.', '\\.')}/${String(r.name)}$`);
    for (const r of Object.values(healthRules())) {
      if (r.type === LOG) {
        expect(r.properties.scopes).toEqual([expect.stringMatching(id(workspace!))]);
        expect(r.properties.actions).toEqual({ actionGroups: [expect.stringMatching(id(group!))] });
      } else {
        expect(r.properties.scopes).toEqual([expect.stringMatching(id(dcr!))]);
        expect(r.properties.actions).toEqual([{ actionGroupId: expect.stringMatching(id(group!)) }]);
      }
    }
  });

  it('the metric alert watches the Logs Ingestion Requests per Min of the DCR as a static threshold', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const r = healthRules()['metric:pipeline-silent']!;
    expect(r.raw.location).toBe('global');
    expect(r.properties.criteria).toEqual({
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria',
      allOf: [{ criterionType: 'StaticThresholdCriterion', name: 'no-requests', metricNamespace: 'Microsoft.Insights/dataCollectionRules', metricName: 'ApiCallReceived_Count', dimensions: [], operator: 'LessThan', threshold: 1, timeAggregation: 'Count' }],
    });
    expect(r.properties.autoMitigate).toBe(true);
  });
});

describe('every log alert of the deployment', () => {
  it('measures and splits by columns its query returns, with a time column where it evaluates several periods', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const rules = resourcesOfType(deployMain({ sensitiveTables: ['public.accounts'] }), LOG);
    expect(rules.length).toBeGreaterThanOrEqual(10);
    for (const r of rules) {
      const c = condition(r);
      const columns = Object.fromEntries((resultColumns(c.query as string, TABLES) ?? []).map((col) => [col.name, col.type]));
      for (const dim of c.dimensions as { name: string }[]) expect(columns, `${String(r.name)} splits by ${dim.name}`).toHaveProperty(dim.name);
      if (c.metricMeasureColumn) expect(['int', 'long', 'real'], `${String(r.name)} measures ${c.metricMeasureColumn}`).toContain(columns[c.metricMeasureColumn as string]);
      if (c.failingPeriods.numberOfEvaluationPeriods > 1) expect(columns.TimeGenerated, String(r.name)).toBe('datetime');
    }
  });
});

describe('health settings', () => {
  it.for([
    { off: 'pipelineSilent', gone: ['metric:pipeline-silent', 'pipeline-heartbeats'] },
    { off: 'deadLetters', gone: ['dead-letters'] },
    { off: 'lag', gone: ['ingest-lag'] },
    { off: 'errors', gone: ['ingest-errors'] },
    { off: 'serverSilent', gone: ['server-silent'] },
    { off: 'dcrLimits', gone: ['metric:dcr-a-throttled', 'metric:dcr-a-bytes'] },
  ])('$off: false removes exactly its rules', ({ off, gone }, ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    expect(Object.keys(healthRules({ health: { [off]: false } })).sort()).toEqual(DEFAULTS.map((r) => r.rule).filter((r) => !gone.includes(r)).sort());
  });

  it.for([
    { health: { lagBytes: 5000 }, rule: 'ingest-lag', expected: { threshold: 5000 } },
    { health: { serverSilentHours: 24 }, rule: 'server-silent', window: 'P1D' },
    { health: { serverSilentHours: 48 }, rule: 'server-silent', window: 'P2D' },
    { health: { serverSilentHours: 1 }, rule: 'server-silent', window: 'PT1H' },
  ])('$health reaches $rule', ({ health, rule, expected, window }, ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const r = healthRules({ health })[rule]!;
    if (expected) expect(condition(r)).toMatchObject(expected);
    if (window) expect(r.properties.windowSize).toBe(window);
  });

  // Three sweep intervals, rounded up to a metric alert window; the heartbeat backstop adds 15
  // minutes of ingestion latency (rounded up to a log alert window); lag evaluates the same window.
  it.for([
    { schedule: '0 */5 * * * *', metric: 'PT15M', heartbeats: 'PT30M', lag: 'PT15M' },
    { schedule: '0 * * * * *', metric: 'PT5M', heartbeats: 'PT30M', lag: 'PT5M' },
    { schedule: '*/30 * * * * *', metric: 'PT5M', heartbeats: 'PT30M', lag: 'PT5M' },
    { schedule: '0 */2 * * * *', metric: 'PT15M', heartbeats: 'PT30M', lag: 'PT15M' },
    { schedule: '0 */10 * * * *', metric: 'PT30M', heartbeats: 'PT45M', lag: 'PT30M' },
    { schedule: '0 */15 * * * *', metric: 'PT1H', heartbeats: 'PT2H', lag: 'PT1H' },
    { schedule: '0 */20 * * * *', metric: 'PT1H', heartbeats: 'PT2H', lag: 'PT1H' },
    { schedule: '0 */25 * * * *', metric: 'PT6H', heartbeats: 'P1D', lag: 'PT6H' },
    { schedule: '30 7 * * * *', metric: 'PT6H', heartbeats: 'P1D', lag: 'PT6H' },
  ])('sweepSchedule "$schedule": metric window $metric, heartbeat window $heartbeats, lag window $lag', ({ schedule, metric, heartbeats, lag }, ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const rules = healthRules({ sweepSchedule: schedule });
    expect(rules['metric:pipeline-silent']!.properties.windowSize).toBe(metric);
    expect(rules['pipeline-heartbeats']!.properties.windowSize).toBe(heartbeats);
    expect(rules['ingest-lag']!.properties.windowSize).toBe(lag);
  });

  it.for(['0 0,30 * * * *', '0 */5 8-17 * * *', '0 */5 * * * 1-5', '0 0 3 * * *', '*/5 * * * *'])('sweepSchedule "%s" (no fixed interval) stops the deployment unless the window is given', (schedule, ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    expect(() => healthRules({ sweepSchedule: schedule })).toThrow(ArmFailure);
    expect(() => healthRules({ sweepSchedule: schedule })).toThrow(/Cannot derive the sweep interval from sweepSchedule .*set health.pipelineSilentMinutes/);
    const given = healthRules({ sweepSchedule: schedule, health: { pipelineSilentMinutes: 60 } });
    expect(given['metric:pipeline-silent']!.properties.windowSize).toBe('PT1H');
    expect(given['pipeline-heartbeats']!.properties.windowSize).toBe('PT2H');
    expect(Object.keys(healthRules({ sweepSchedule: schedule, health: { pipelineSilent: false, lag: false } }))).toHaveLength(DEFAULTS.length - 3);
  });

  it('three sweep intervals longer than any metric alert window stop the deployment', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    expect(() => healthRules({ sweepSchedule: '0 */300 * * * *' })).toThrow(/exceed the longest metric alert window/);
  });

  it.for([
    { health: { lagBytes: 0 }, error: /health\.lagBytes: 0 is below minValue 1/ },
    { health: { serverSilentHours: 7 }, error: /health\.serverSilentHours: 7 is not one of/ },
    { health: { pipelineSilentMinutes: 10 }, error: /health\.pipelineSilentMinutes: 10 is not one of/ },
    { health: { lag: 'yes' }, error: /health\.lag: "yes" is not of type bool/ },
    { health: { lagbytes: 5 }, error: /has properties the type does not declare: lagbytes/ },
  ])('$health is refused before anything deploys', ({ health, error }, ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    expect(() => deployMain({ health })).toThrow(error);
  });
});
