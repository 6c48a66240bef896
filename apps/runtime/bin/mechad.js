#!/usr/bin/env node
// Entry point of the `mechad` sidecar. The sources run through Node's type stripping, so
// there is no build step between a change and a run.
import { main } from '../src/main.ts';

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
