#!/usr/bin/env node
// Runs the compiled CLI (dist/cli/main.js, built by `npm install` through the `prepare` script).
// When the build is missing or older than a source file it was built from (an edit not rebuilt
// yet), the TypeScript runs through tsx instead: slower to start, never stale.
// The AWS SDK warns on every start that it will need Node 22 in 2027; on a terminal that reads
// as an error, so that one warning is dropped (every other warning is printed).
const { readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  if (String(warning && warning.message ? warning.message : warning).includes('NodeVersionSupportWarning')) return;
  return emitWarning.call(process, warning, ...rest);
};

const root = join(__dirname, '..');

function builtCliIsCurrent() {
  try {
    const { builtAt, inputs } = JSON.parse(readFileSync(join(root, 'dist', 'cli', 'inputs.json'), 'utf8'));
    statSync(join(root, 'dist', 'cli', 'main.js'));
    return inputs.every((file) => statSync(join(root, file)).mtimeMs <= builtAt);
  } catch {
    return false;
  }
}

let cli;
if (process.env.TRIBUTARY_CLI_FROM_SOURCE !== '1' && builtCliIsCurrent()) {
  cli = require('../dist/cli/main.js');
} else {
  require('tsx/cjs');
  cli = require('../runtime/cli/main.ts');
}
cli.main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`tributary: ${err && err.message ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
