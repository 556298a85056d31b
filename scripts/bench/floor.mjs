// The floor for this runtime: read a blob line by line with readline and JSON.parse each line,
// nothing else. Prints {"records", "maxRssKb", "cpuSeconds"} on stderr.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

const rl = createInterface({ input: createReadStream(process.argv[2], { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
let records = 0;
for await (const line of rl) {
  if (line.trim() === '') continue;
  JSON.parse(line);
  records++;
}
const u = process.resourceUsage();
process.stderr.write(JSON.stringify({ records, maxRssKb: u.maxRSS, cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6 }) + '\n');
