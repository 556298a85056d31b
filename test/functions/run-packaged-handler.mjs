// Runs one function of a built deployment package the way the Node.js worker would: loads every
// entry point of package.json main from the package directory, then calls the handler the named
// function registered (captured by fake-functions-core.cjs) with one input and a context.
//   node --require test/functions/fake-functions-core.cjs run-packaged-handler.mjs <package dir> <function> <input JSON>
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, name, input] = process.argv.slice(2);
const functions = path.join(dir, 'dist', 'functions');
for (const f of readdirSync(functions).filter((f) => f.endsWith('.js')).sort()) await import(pathToFileURL(path.join(functions, f)).href);
const handler = globalThis.__pgauditHandlers[name];
if (!handler) throw new Error(`no function ${name} registered by ${dir}`);
const line = (level) => (...args) => process.stdout.write(`${level} ${args.join(' ')}\n`);
const context = { invocationId: 'package-test', functionName: name, triggerMetadata: { dequeueCount: 1 }, log: line('info'), info: line('info'), warn: line('warn'), error: line('error'), debug: line('debug'), trace: line('trace') };
await handler(JSON.parse(input), context);
process.stdout.write('@@DONE@@\n');
