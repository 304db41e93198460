/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS file the child node runs as is */
// Runs one Lambda invocation of a built bundle in this (child) process, as the Lambda Node.js
// runtime would: require the bundle (cold start, timed), call its handler once, report the
// result or the error, peak RSS and init time on fd 3 as one JSON line.
'use strict';
const { writeSync } = require('node:fs');
const [bundle, eventJson] = process.argv.slice(2);
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
const report = (o) => writeSync(3, `${JSON.stringify({ ...o, envRead: [...envRead], maxRssKb: process.resourceUsage().maxRSS })}\n`);
const started = process.hrtime.bigint();
let handler;
try {
  // eslint-disable-next-line security/detect-non-literal-require -- loads the bundle the rehearsal was asked to run
  handler = require(bundle).handler;
} catch (err) {
  report({ initMs: Number(process.hrtime.bigint() - started) / 1e6, error: { errorType: 'Runtime.ImportModuleError', errorMessage: String(err && err.message) } });
  process.exit(0);
}
const initMs = Number(process.hrtime.bigint() - started) / 1e6;
Promise.resolve()
  .then(() => handler(JSON.parse(eventJson), { awsRequestId: `rehearsal-${process.pid}`, functionName: process.env.AWS_LAMBDA_FUNCTION_NAME }))
  .then(
    (result) => report({ initMs, result: result === undefined ? null : result }),
    (err) => report({ initMs, error: { errorType: (err && err.name) || 'Error', errorMessage: String(err && err.message) } }),
  )
  .finally(() => setTimeout(() => process.exit(0), 10).unref());
