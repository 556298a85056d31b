// The CLI's entry for tests (bin/pgaudit-ingest.js runs the compiled copy of the same main).
import { main } from '../../src/cli.js';

process.exitCode = await main(process.argv.slice(2));
