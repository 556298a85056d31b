// Types and functions main.bicep imports (compile-time): naming rules, the wiring guard and the
// health-alert settings.

@export()
@description('log_line_prefix by server name.')
type serverPrefixMap = { *: string }

@export()
@description('The name given, or the generated one when it is empty.')
func nameOr(given string, generated string) string => empty(given) ? generated : given

@export()
@description('An existing resource and a name for a new one contradict each other: refuse instead of guessing.')
func existingOr(existing string, newName string, existingParam string, newParam string, generated string) string =>
  !empty(existing) && !empty(newName)
    ? fail('Set ${existingParam} or ${newParam}, not both.')
    : !empty(existing) ? existing : nameOr(newName, generated)

@export()
@description('The server to wire, or empty; stops the deployment when wiring is asked for without a server, or when the container the app reads is not the one diagnostic settings write.')
func wiredServerName(wireServer bool, serverName string, logsContainer string, diagnosticContainer string) string =>
  !wireServer
    ? ''
    : empty(serverName)
        ? fail('wireServer is true but flexibleServerName is empty: set PGAUDIT_FLEXIBLE_SERVER_NAME to the server to wire.')
        : logsContainer != diagnosticContainer
            ? fail('A wired server\'s diagnostic setting writes to ${diagnosticContainer}; logsContainer ${logsContainer} would never see its blobs.')
            : serverName

@export()
@sealed()
@description('Health alerts on the run records (PgAuditIngest_CL) and the DCR; every field is optional (defaults and how to respond: docs/deploy.md).')
type healthSettings = {
  @description('Pipeline silent: a metric alert on the DCR\'s Logs Ingestion Requests per Min and a log alert on sweep heartbeats (default true).')
  pipelineSilent: bool?
  @description('Window of the pipeline-silent alerts in minutes (a metric alert window); default: three sweep intervals of sweepSchedule, rounded up.')
  pipelineSilentMinutes: (5 | 15 | 30 | 60 | 360 | 720)?
  @description('Dead letters: any range with rows the service refused as invalid (default true).')
  deadLetters: bool?
  @description('Lag: every sweep heartbeat of two consecutive windows left more than lagBytes unread (default true).')
  lag: bool?
  @minValue(1)
  @description('Lag threshold in bytes (default 100000000).')
  lagBytes: int?
  @description('Errors: any error record (a stopped server or run, a notice about lost state) (default true).')
  errors: bool?
  @description('Server silent: a server\'s blobs grew but none of the new lines became a row for serverSilentHours (default true).')
  serverSilent: bool?
  @description('Window of the server-silent alert in hours (a log alert window; default 6).')
  serverSilentHours: (1 | 2 | 3 | 4 | 5 | 6 | 24 | 48)?
}
