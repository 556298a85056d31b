// Runs `pgaudit-ingest parse` in this process (the built CLI), rows to /dev/null, then prints the
// summary and {"maxRssKb"} on stderr.
import { main } from '../../dist/src/cli.js';

const code = await main(['parse', '--no-progress', '--summary', 'json', '-o', '/dev/null', ...process.argv.slice(2)]);
process.stderr.write(JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS }) + '\n');
process.exitCode = code;
