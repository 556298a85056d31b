// Cost tiering (issue 13): which rows a tiered deployment routes to the cheaper bulk table. One
// definition, as data: Bicep builds the DCR's routing transforms from the generated
// infra/generated/tiering.json, and `parse --summary json` estimates the split with the same rule.
// The default keeps in PgAudit_CL (Analytics: alerts, full KQL) everything security-relevant and
// sends only bulk session-audit READ/WRITE rows of ordinary users to the bulk table.
import type { PgAuditRow } from './schema.js';

export const BULK_TABLE_NAME = 'PgAuditBulk_CL';

export interface TieringRule {
  /** pgAudit classes whose SESSION-audit rows are bulk. */
  readonly bulkClasses: readonly string[];
  /** Users whose rows always stay in PgAudit_CL (admins, migration and break-glass roles). */
  readonly privilegedUsers: readonly string[];
}

export const DEFAULT_TIERING_RULE: TieringRule = { bulkClasses: ['READ', 'WRITE'], privilegedUsers: [] };

/**
 * The classes a rule may route (infra/lib.bicep's tiering type lists the same): ROLE and DDL
 * are what the alerts watch, so they always stay in PgAudit_CL.
 */
export const BULK_CLASS_CHOICES = ['READ', 'WRITE', 'FUNCTION', 'MISC'] as const;

/** Columns the Auxiliary plan cannot hold as `dynamic`: written as their JSON text there. */
export const DYNAMIC_AS_TEXT_ON_AUXILIARY = ['Parameters', 'TruncatedColumns'] as const;

export type Tier = 'analytics' | 'bulk';

/**
 * The table a row goes to. Bulk: an AUDIT row of SESSION audit in a bulk class by a user that is
 * not privileged. Everything else — errors, logins, GAP/UNPARSED, DDL/ROLE/FUNCTION/MISC, OBJECT
 * audit of watched tables, rows of unknown users — stays in Analytics.
 */
export function tierOf(row: Pick<PgAuditRow, 'EventType' | 'AuditType' | 'Class' | 'UserName'>, rule: TieringRule = DEFAULT_TIERING_RULE): Tier {
  const bulk =
    row.EventType === 'AUDIT' &&
    row.AuditType === 'SESSION' &&
    row.Class !== null &&
    rule.bulkClasses.includes(row.Class) &&
    // isnotempty(UserName) in the DCR transform: an empty name is unknown, as null is.
    !!row.UserName &&
    !rule.privilegedUsers.includes(row.UserName);
  return bulk ? 'bulk' : 'analytics';
}

/** The content of infra/generated/tiering.json. */
export function tieringJson(): { bulkTableName: string; defaultRule: TieringRule; bulkClassChoices: readonly string[]; dynamicAsTextOnAuxiliary: readonly string[] } {
  return { bulkTableName: BULK_TABLE_NAME, defaultRule: DEFAULT_TIERING_RULE, bulkClassChoices: BULK_CLASS_CHOICES, dynamicAsTextOnAuxiliary: DYNAMIC_AS_TEXT_ON_AUXILIARY };
}
