#!/usr/bin/env node
// Entry point of the `mecha` CLI. The sources run through Node's type stripping, so there
// is no build step between a change and a run.
import process from 'node:process';
import { main } from '../src/main.ts';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
