// Stands in for `@azure/functions-core`, the module the Functions host injects into the worker.
// Preloaded with `node --require`, it answers require('@azure/functions-core') and prints the
// metadata that @azure/functions registers, as the host would receive it, on exit.
const Module = require('node:module');
const registered = [];
// The handlers themselves, by function name: @azure/functions hands the app's handler to the core
// as it is (test/functions/run-packaged-handler.mjs calls them).
globalThis.__pgauditHandlers = {};
const fakeCore = {
  version: '4.0.0-test',
  setProgrammingModel() {},
  getProgrammingModel() {},
  registerHook() {
    return { dispose() {} };
  },
  registerFunction(metadata, handler) {
    registered.push({ metadata, handlerType: typeof handler });
    globalThis.__pgauditHandlers[metadata.name] = handler;
    return { dispose() {} };
  },
  log() {},
};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === '@azure/functions-core') return '@azure/functions-core';
  return resolve.call(this, request, ...rest);
};
require.cache['@azure/functions-core'] = { id: '@azure/functions-core', filename: '@azure/functions-core', loaded: true, exports: fakeCore };
process.on('exit', () => {
  process.stdout.write('\n@@REGISTERED@@' + JSON.stringify(registered) + '\n');
});
