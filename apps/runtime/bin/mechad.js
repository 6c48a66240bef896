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
    // Everything is closed by now, so the process normally ends by itself as soon as the logs
    // are flushed. A handle some library left open must not keep a stopped sidecar alive:
    // exit anyway a moment later (unref'd, so this timer alone keeps nothing running).
    setTimeout(() => process.exit(), 1000).unref();
  },
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
