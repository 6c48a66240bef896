import { runSecretStoreConformance } from '@mecha/secrets/conformance';
import { definition } from '../src/index.ts';

// The real process environment, as the sidecar reads it.
const run = `${process.pid}`;
process.env[`MECHA_CONFORMANCE_${run}_DB_PASSWORD`] = 'p@ss wörd ✓';
process.env[`MECHA_CONFORMANCE_${run}_API_KEY`] = 'k3y';

runSecretStoreConformance({
  name: 'local env, with a prefix',
  definition,
  metadata: { prefix: `MECHA_CONFORMANCE_${run}_` },
  expected: { DB_PASSWORD: { DB_PASSWORD: 'p@ss wörd ✓' }, API_KEY: { API_KEY: 'k3y' } },
  missingName: 'NOT_SET',
  bulkIsExact: true,
});

runSecretStoreConformance({
  name: 'local env, every variable',
  definition,
  metadata: {},
  expected: {
    [`MECHA_CONFORMANCE_${run}_DB_PASSWORD`]: { [`MECHA_CONFORMANCE_${run}_DB_PASSWORD`]: 'p@ss wörd ✓' },
    [`MECHA_CONFORMANCE_${run}_API_KEY`]: { [`MECHA_CONFORMANCE_${run}_API_KEY`]: 'k3y' },
  },
  missingName: `MECHA_CONFORMANCE_${run}_NOT_SET`,
  bulkIsExact: false,
});
