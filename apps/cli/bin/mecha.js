#!/usr/bin/env node
// Entry point of the `mecha` CLI. The sources run through Node's type stripping, so there
// is no build step between a change and a run.
import module from 'node:module';
import process from 'node:process';

// Node's on-disk compile cache: the CLI and its sources load faster after the first run.
module.enableCompileCache?.();
const { main } = await import('../src/main.ts');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
