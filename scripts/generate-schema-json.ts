// Writes the JSON files Bicep reads with loadJsonContent (it cannot import TypeScript):
// infra/generated/pgaudit-columns.json from src/schema.ts, pgaudit-ingest-columns.json from
// src/run-record-schema.ts and infra/generated/settings.json from
// src/config/settings-model.ts; docs/reference.md (both as tables); local.settings.sample.json (the
// app settings with their defaults). test/infra/columns.test.ts
// and test/unit/settings-model.test.ts fail when any of them is stale.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SETTINGS, settingsJson } from '../src/config/settings-model.js';
import { runSchemaJson } from '../src/run-record-schema.js';
import { schemaJson } from '../src/schema.js';
import { tieringJson } from '../src/tiering.js';
import { renderReferenceDoc } from './reference-doc.js';

const GENERATED = join(dirname(fileURLToPath(import.meta.url)), '..', 'infra', 'generated');
export const SCHEMA_JSON_PATH = join(GENERATED, 'pgaudit-columns.json');
export const RUN_SCHEMA_JSON_PATH = join(GENERATED, 'pgaudit-ingest-columns.json');
export const TIERING_JSON_PATH = join(GENERATED, 'tiering.json');
export const SETTINGS_JSON_PATH = join(GENERATED, 'settings.json');
export const LOCAL_SETTINGS_SAMPLE_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'local.settings.sample.json');
export const REFERENCE_DOC_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'reference.md');

export function renderSchemaJson(): string {
  return JSON.stringify(schemaJson(), null, 2) + '\n';
}

export function renderRunSchemaJson(): string {
  return JSON.stringify(runSchemaJson(), null, 2) + '\n';
}

export function renderTieringJson(): string {
  return JSON.stringify(tieringJson(), null, 2) + '\n';
}

/**
 * local.settings.sample.json (copy it to local.settings.json for Core Tools): the Functions runtime,
 * local storage (Azurite) and a local endpoint for what has no default, then every app setting of
 * the model with its default. Generated, so a default is never written twice.
 */
export function renderLocalSettingsSample(): string {
  const local: Record<string, string> = {
    FUNCTIONS_WORKER_RUNTIME: 'node',
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    PGAUDIT_LOGS_STORAGE: 'UseDevelopmentStorage=true',
    PGAUDIT_STATE_STORAGE: 'UseDevelopmentStorage=true',
    PGAUDIT_INGESTION_ENDPOINT: 'https://127.0.0.1:8443',
    PGAUDIT_DCR_IMMUTABLE_ID: 'dcr-00000000000000000000000000000000',
  };
  for (const s of SETTINGS) if (s.app && s.default !== undefined) local[s.env] = s.default;
  return JSON.stringify({ IsEncrypted: false, Values: local }, null, 2) + '\n';
}

export function renderSettingsJson(): string {
  return JSON.stringify(settingsJson(), null, 2) + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(GENERATED, { recursive: true });
  writeFileSync(SCHEMA_JSON_PATH, renderSchemaJson());
  writeFileSync(RUN_SCHEMA_JSON_PATH, renderRunSchemaJson());
  writeFileSync(TIERING_JSON_PATH, renderTieringJson());
  writeFileSync(SETTINGS_JSON_PATH, renderSettingsJson());
  writeFileSync(REFERENCE_DOC_PATH, renderReferenceDoc());
  writeFileSync(LOCAL_SETTINGS_SAMPLE_PATH, renderLocalSettingsSample());
  console.error(`wrote ${SCHEMA_JSON_PATH}, ${RUN_SCHEMA_JSON_PATH}, ${TIERING_JSON_PATH}, ${SETTINGS_JSON_PATH}, ${REFERENCE_DOC_PATH} and ${LOCAL_SETTINGS_SAMPLE_PATH}`);
}
