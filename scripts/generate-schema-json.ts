// Writes infra/generated/pgaudit-columns.json from src/schema.ts. Bicep reads the JSON with
// loadJsonContent (it cannot import TypeScript); test/schema.test.ts fails when it is stale.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaJson } from '../src/schema.js';

export const SCHEMA_JSON_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'infra', 'generated', 'pgaudit-columns.json');

export function renderSchemaJson(): string {
  return JSON.stringify(schemaJson(), null, 2) + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(dirname(SCHEMA_JSON_PATH), { recursive: true });
  writeFileSync(SCHEMA_JSON_PATH, renderSchemaJson());
  console.error(`wrote ${SCHEMA_JSON_PATH}`);
}
