// The test doubles and real local services for shipping tests, in one import:
//   import { startStack, trustingClientOptions, postRaw } from './index.js';
export * from './azurite.js';
export * from './managed-identity-endpoint.js';
export * from './logs-ingestion-endpoint.js';
export * from './stack.js';
