import { defineConfig } from 'vitest/config';

// Suites talk to real servers and run beside others on a 2-core machine: give each test room
// (a time limit here is a hang detector, never a speed assertion).
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
