// What a simulated deployment of main.bicep carries, read the way Azure would see it: its tables
// (columns and plan, as created) and every KQL text in it (alert rules, saved queries, workspace
// functions, DCR transforms), each with the tables it is checked against. Shared by kql.test.ts,
// tiering.test.ts and alert-tables.test.ts so every check reads the same texts.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- evaluated ARM JSON is untyped */
import type { Deployment } from './arm.js';
import { resourcesOfType } from './bicep.js';

export type Column = { name: string; type: string };
export type Tables = Record<string, readonly Column[]>;

/** The workspace tables a deployment creates: columns (as the table API types them) and plan. */
export function deployedTables(d: Deployment): { tables: Tables; plans: Record<string, string> } {
  const tables: Tables = {};
  const plans: Record<string, string> = {};
  for (const t of resourcesOfType(d, 'Microsoft.OperationalInsights/workspaces/tables')) {
    const name = String(t.name).split('/').at(-1)!;
    tables[name] = (t.properties.schema.columns as Column[]).map((c) => ({ name: c.name, type: c.type }));
    plans[name] = String(t.properties.plan);
  }
  return { tables, plans };
}

export interface DeployedKql {
  readonly where: string;
  readonly kind: 'alert' | 'saved query' | 'function' | 'transform';
  readonly kql: string;
  /** The tables the text runs against: the workspace's, or the DCR stream (as `source`) for a transform. */
  readonly tables: Tables;
  readonly parameters?: string;
  /** A transform's output table. */
  readonly output?: string;
}

/** Every KQL text in an evaluated deployment, by where it sits. */
export function deployedKql(d: Deployment): DeployedKql[] {
  const { tables } = deployedTables(d);
  const out: DeployedKql[] = [];
  for (const r of resourcesOfType(d, 'Microsoft.Insights/scheduledQueryRules'))
    for (const c of r.properties.criteria.allOf as { query: string }[]) out.push({ where: `alert ${String(r.name)}`, kind: 'alert', kql: c.query, tables });
  for (const r of resourcesOfType(d, 'Microsoft.SecurityInsights/alertRules')) out.push({ where: `analytics rule ${r.properties.displayName}`, kind: 'alert', kql: r.properties.query, tables });
  for (const r of resourcesOfType(d, 'Microsoft.OperationalInsights/queryPacks/queries')) out.push({ where: `saved query ${r.properties.displayName}`, kind: 'saved query', kql: r.properties.body, tables });
  for (const r of resourcesOfType(d, 'Microsoft.OperationalInsights/workspaces/savedSearches')) out.push({ where: `function ${r.properties.functionAlias}`, kind: 'function', kql: r.properties.query, tables, parameters: r.properties.functionParameters });
  for (const r of resourcesOfType(d, 'Microsoft.Insights/dataCollectionRules')) {
    const streams = r.properties.streamDeclarations as Record<string, { columns: Column[] }>;
    for (const f of r.properties.dataFlows as { transformKql: string; streams: string[]; outputStream: string }[])
      out.push({ where: `DCR transform ${f.streams[0]} -> ${f.outputStream}`, kind: 'transform', kql: f.transformKql, tables: { source: streams[f.streams[0]!]!.columns }, output: f.outputStream.replace(/^Custom-/, '') });
  }
  return out;
}
/* eslint-enable */
