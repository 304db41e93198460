#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx so a fresh clone needs no build step.
require('tsx/cjs');
require('../runtime/cli/main.ts').main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`tributary: ${err && err.message ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
