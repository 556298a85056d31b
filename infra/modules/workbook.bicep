// The Azure Monitor workbook (README "Workbook"): two tabs, Audit overview (PgAudit_CL) and Pipeline
// health (PgAuditIngest_CL), with time-range and server parameters. The template is plain JSON
// (infra/workbooks/pgaudit.workbook.json, checked by test/infra/workbook.test.ts); sourceId ties it
// to the workspace, so it opens there (Workbooks) and its queries run against it.
param location string
param tags object
param workspaceId string

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A stable GUID per workspace: redeployments update the same workbook.
  name: guid(workspaceId, 'pgaudit-ingest-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'pgAudit: audit overview and pipeline health'
    category: 'workbook'
    sourceId: workspaceId
    version: '1.0'
    serializedData: string(loadJsonContent('../workbooks/pgaudit.workbook.json'))
  }
}
