#!/usr/bin/env node
// Entry point of the `mechad` sidecar. The sources run through Node's type stripping, so
// there is no build step between a change and a run.
import module from 'node:module';

// Keep compiled (and type-stripped) modules in Node's on-disk cache: after the first start,
// loading the sidecar's code takes about half the time (it dominates start-up).
module.enableCompileCache?.();
const { main } = await import('../src/main.ts');

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
