// The state conformance kit, a separate entry point (`@mecha/state/conformance`) so that only
// test files load vitest.
export { runStateConformance } from './run-state-conformance.ts';
export type { StateConformanceOptions } from './harness.ts';
