// Alerts run only where they can: every scheduled query rule of a deployment (today's and any a
// later module adds) reads only tables of that deployment on the Analytics plan, found by walking
// its query with Kusto.Language; every metric alert watches platform metrics, not a table; no
// workspace function reads a Basic or Auxiliary table (they run no functions), and a saved query
// that does keeps to what such a query may do (basic-logs-query.md: one such table, lookup/union of
// at most five Analytics tables, no join, find, search, externaldata or user-defined functions).
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- evaluated ARM JSON is untyped; the assertions are the type check */
import { describe, expect, it } from 'vitest';
import { errorsOf, checkKql, syntaxFacts } from '../helpers/kusto.js';
import { requireOrSkip } from '../helpers/tools.js';
import { bicepPath, deployMain, MISSING_BICEP, resourcesOfType } from './bicep.js';
import { deployedKql, deployedTables } from './deployed.js';

const LOG_RULE = 'Microsoft.Insights/scheduledQueryRules';
const METRIC_RULE = 'Microsoft.Insights/metricAlerts';
const METRIC_CRITERIA = ['Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria', 'Microsoft.Azure.Monitor.MultipleResourceMultipleMetricCriteria'];
// Syntax a query on a Basic or Auxiliary table may not use.
const NOT_ON_BASIC = ['JoinOperator', 'FindOperator', 'SearchOperator', 'ExternalDataExpression', 'FunctionDeclaration'];

// Every alert a deployment can carry: defaults, tiering on either plan, every optional rule on.
const PARAMETER_SETS: Record<string, Record<string, unknown>> = {
  defaults: {},
  'tiering (Basic)': { tiering: { enabled: true } },
  'tiering (Auxiliary), every optional rule': { sensitiveTables: ['public.accounts'], tiering: { enabled: true, bulkPlan: 'Auxiliary', bulkClasses: ['READ', 'WRITE', 'MISC', 'FUNCTION'], sensitiveTablesObjectAudited: true } },
};

describe.each(Object.entries(PARAMETER_SETS))('a deployment (%s)', (_, params) => {
  const setup = () => {
    const d = deployMain(params);
    return { d, ...deployedTables(d) };
  };

  it('every scheduled query rule reads only Analytics tables the deployment creates, and runs on its workspace', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const { d, tables, plans } = setup();
    const [workspace] = resourcesOfType(d, 'Microsoft.OperationalInsights/workspaces');
    const rules = resourcesOfType(d, LOG_RULE);
    expect(rules.length).toBeGreaterThanOrEqual(9);
    for (const r of rules) {
      const name = String(r.name);
      expect(r.properties.scopes, name).toEqual([expect.stringMatching(new RegExp(`/workspaces/${String(workspace!.name)}$`))]);
      for (const c of r.properties.criteria.allOf as { query: string }[]) {
        // Unknown tables are errors here, so a table outside the deployment cannot slip through.
        expect(errorsOf(checkKql(c.query, tables)), name).toEqual([]);
        const read = syntaxFacts(c.query, tables).tables;
        expect(read.length, `${name} reads no table`).toBeGreaterThan(0);
        for (const t of read) expect(plans[t], `${name} reads ${t}`).toBe('Analytics');
      }
    }
  });

  it('every metric alert watches platform metrics of a resource, never a log table', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const { d } = setup();
    for (const r of resourcesOfType(d, METRIC_RULE)) {
      expect(METRIC_CRITERIA, String(r.name)).toContain(r.properties.criteria['odata.type']);
      for (const scope of r.properties.scopes as string[]) expect(scope).not.toMatch(/\/Microsoft\.OperationalInsights\/workspaces\//i);
      expect(JSON.stringify(r.properties.criteria)).not.toMatch(/"query"/);
    }
  });

  it('the alert rules checked above are all the alerting resources the deployment has', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const { d } = setup();
    const alerting = [...new Set(d.resources().map((r) => r.type).filter((t) => /alert|scheduledQueryRule/i.test(t)))].sort();
    expect(alerting).toEqual([METRIC_RULE, LOG_RULE].sort());
  });

  it('no workspace function reads a Basic or Auxiliary table; a saved query that does keeps to the limits of such a query', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const { d, plans } = setup();
    for (const t of deployedKql(d).filter((k) => k.kind !== 'transform')) {
      const facts = syntaxFacts(t.kql, t.tables);
      const low = facts.tables.filter((x) => plans[x] !== 'Analytics');
      if (low.length === 0) continue;
      expect(t.kind, `${t.where} reads ${low.join()}`).toBe('saved query');
      expect(low, t.where).toHaveLength(1);
      expect(facts.tables.length - 1, `${t.where}: more than five Analytics tables`).toBeLessThanOrEqual(5);
      for (const kind of NOT_ON_BASIC) expect(facts.kinds, `${t.where} uses ${kind}`).not.toContain(kind);
    }
  });
});

it('the checks fail on what they guard against', () => {
  const tables = { A_CL: [{ name: 'x', type: 'string' }], B_CL: [{ name: 'x', type: 'string' }] };
  expect(syntaxFacts('A_CL | union (B_CL | where x == "1")', tables).tables).toEqual(['A_CL', 'B_CL']);
  expect(syntaxFacts('let T = B_CL; T | lookup (A_CL) on x', tables).tables).toEqual(['A_CL', 'B_CL']);
  expect(syntaxFacts('B_CL | join (A_CL) on x', tables).kinds).toContain('JoinOperator');
  expect(errorsOf(checkKql('C_CL | take 1', tables)).length).toBeGreaterThan(0);
});
