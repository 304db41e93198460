#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx so a fresh clone needs no build step.
// The AWS SDK warns on every start that it will need Node 22 in 2027; on a terminal that reads
// as an error, so that one warning is dropped (every other warning is printed).
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  if (String(warning && warning.message ? warning.message : warning).includes('NodeVersionSupportWarning')) return;
  return emitWarning.call(process, warning, ...rest);
};
require('tsx/cjs');
require('../runtime/cli/main.ts').main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`tributary: ${err && err.message ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
