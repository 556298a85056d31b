// The `detections` parameter of main.bicep: one typed object, every field optional (defaults in
// the rule headers, infra/kql/detect-*.kql, and docs/detections.md). Each rule can be turned off and
// has its lists and thresholds; a rule turned off stays deployed with enabled: false, so a
// redeployment really stops a rule that was on.

@export()
@sealed()
@description('A rule with an exclusion list of users.')
type userRule = {
  @description('Turn the rule on or off (default true).')
  enabled: bool?
  @description('Users whose rows never fire the rule (default none).')
  excludedUsers: string[]?
}

@export()
@sealed()
type thresholdRule = {
  enabled: bool?
  excludedUsers: string[]?
  @minValue(1)
  @description('Count that fires the rule within its window.')
  threshold: int?
}

@export()
@sealed()
type baselineRule = {
  enabled: bool?
  excludedUsers: string[]?
  @description('Days of baseline before the detection hour (a log search alert reads at most two days; longer baselines: docs/detections.md).')
  baselineDays: (1 | 2)?
  @minValue(1)
  @maxValue(14)
  @description('Days of baseline of the Sentinel analytics rule (sentinelAnalyticsRules; default 14, the most an analytics rule reads).')
  analyticsBaselineDays: int?
}

@export()
@sealed()
@description('The detection rules of docs/detections.md; e.g. {"bruteForce": {"threshold": 20}, "copyToStdout": {"excludedUsers": ["backup"]}, "identitySwitch": {"enabled": false}}.')
type detectionSettings = {
  auditTampering: userRule?
  serverProgramFiles: userRule?
  privilegedRoleChange: userRule?
  backdoorLoginRole: {
    enabled: bool?
    excludedUsers: string[]?
    @description('Users expected to create login roles (default ["postgres"]): your admin and IaC users.')
    roleAdmins: string[]?
  }?
  privilegedGrants: {
    enabled: bool?
    excludedUsers: string[]?
    @description('Roles whose grant fires (default ["azure_pg_admin", "pg_read_all_data", "pg_write_all_data"]).')
    privilegedRoles: string[]?
  }?
  identitySwitch: userRule?
  dangerousExtensions: {
    enabled: bool?
    excludedUsers: string[]?
    @description('Extensions and languages whose creation fires (default: dblink, postgres_fdw, file_fdw, untrusted PLs, pg_cron, adminpack).')
    extensions: string[]?
  }?
  lateralMovement: userRule?
  credentialAccess: userRule?
  eventTrigger: userRule?
  bruteForce: thresholdRule?
  passwordSpray: {
    enabled: bool?
    @description('Client addresses never reported (poolers, proxies).')
    excludedClients: string[]?
    @minValue(1)
    threshold: int?
  }?
  successAfterFailures: thresholdRule?
  firstSeenAccess: baselineRule?
  bulkReadBaseline: {
    enabled: bool?
    excludedUsers: string[]?
    baselineDays: (1 | 2)?
    @minValue(1)
    @maxValue(14)
    @description('Days of baseline of the Sentinel analytics rule (sentinelAnalyticsRules; default 14, the most an analytics rule reads).')
    analyticsBaselineDays: int?
    @minValue(1)
    @description('Rows a read must return at least (default 1000).')
    minRows: int?
    @minValue(1)
    @description('Times the user\'s 95th percentile a read must exceed (default 10).')
    multiplier: int?
  }?
  copyToStdout: userRule?
  manyTablesRead: thresholdRule?
  massDestruction: {
    enabled: bool?
    excludedUsers: string[]?
    @minValue(1)
    @description('DROP/TRUNCATE rows by one user in 15 minutes (default 10).')
    dropThreshold: int?
    @minValue(1)
    @description('Rows of one DELETE or UPDATE (default 1000).')
    rowsThreshold: int?
  }?
  injectionProbe: {
    enabled: bool?
    excludedUsers: string[]?
    @minValue(2)
    @description('Distinct SQLSTATEs within 5 seconds that fire (default 3).')
    minStates: int?
    @description('Days of baseline before the window whose error states do not count (default 1; a log search alert reads at most two days).')
    baselineDays: (1 | 2)?
  }?
  destructiveStatement: {
    enabled: bool?
    excludedUsers: string[]?
    @minValue(1)
    @description('Rows of one DELETE or UPDATE that fire whatever its WHERE (default 1000; needs pgaudit.log_rows). The change window and migration users are the deployment\'s changeWindowStartHour, changeWindowEndHour and ddlUsers.')
    rowsThreshold: int?
  }?
  sqlInjectionRecon: {
    enabled: bool?
    @description('Applications never reported (interactive tools).')
    excludedApplications: string[]?
    @minValue(1)
    threshold: int?
  }?
}
