import { defineConfig } from 'vitest/config';

// These suites start real mechad processes; give start-up room on a loaded 2-core machine.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
