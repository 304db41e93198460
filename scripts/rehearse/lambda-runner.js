/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS file the child node runs as is */
// One Lambda execution environment of a built bundle, as the Lambda Node.js runtime keeps it:
// require the bundle once (the cold start, timed), then call its handler for each invocation
// the parent sends over IPC, one at a time, in this same process (module state, cached
// secrets and clients, and /tmp carry over, as they do on AWS). Each invocation is answered
// with its result or error, the process's peak RSS so far and the init time.
'use strict';
const [bundle] = process.argv.slice(2);
// Which environment variables the bundle reads (the rehearsal fails on one the stack sets and
// nothing reads). Enumerating the environment (spreading it into a child's) counts as reading all.
const envRead = new Set();
process.env = new Proxy(process.env, {
  get(target, key) {
    if (typeof key === 'string') envRead.add(key);
    return Reflect.get(target, key);
  },
  has(target, key) {
    if (typeof key === 'string') envRead.add(key);
    return Reflect.has(target, key);
  },
});
const started = process.hrtime.bigint();
let handler;
let importError;
try {
  // eslint-disable-next-line security/detect-non-literal-require -- loads the bundle the rehearsal was asked to run
  handler = require(bundle).handler;
} catch (err) {
  importError = { errorType: 'Runtime.ImportModuleError', errorMessage: String(err && err.message) };
}
const initMs = Number(process.hrtime.bigint() - started) / 1e6;
let invocations = 0;
const report = (id, o) => process.send({ id, ...o, initMs: invocations === 1 ? initMs : 0, envRead: [...envRead], maxRssKb: process.resourceUsage().maxRSS });
// The environment ends with the rehearsal (or when the parent dies): Lambda freezes and later discards it.
process.on('disconnect', () => process.exit(0));
process.on('message', (message) => {
  const { id, event } = message;
  invocations += 1;
  if (importError) return report(id, { error: importError });
  Promise.resolve()
    .then(() => handler(event, { awsRequestId: `rehearsal-${process.pid}-${invocations}`, functionName: process.env.AWS_LAMBDA_FUNCTION_NAME }))
    .then(
      (result) => report(id, { result: result === undefined ? null : result }),
      (err) => report(id, { error: { errorType: (err && err.name) || 'Error', errorMessage: String(err && err.message) } }),
    );
});
