// Types and functions main.bicep imports (compile-time): naming rules and the wiring guard.

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
