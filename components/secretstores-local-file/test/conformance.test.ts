import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runSecretStoreConformance } from '@mecha/secrets/conformance';
import { definition } from '../src/index.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'mecha-local-file-'));
const file = path.join(dir, 'secrets.json');
writeFileSync(
  file,
  JSON.stringify({
    redisPassword: 'p@ss wörd ✓',
    connectionStrings: { sql: 'Server=db;Password=x', mysql: 'root:root@tcp(127.0.0.1)/app' },
    port: 5432,
  }),
);

runSecretStoreConformance({
  name: 'local file, multiValued',
  definition,
  metadata: { secretsFile: file, multiValued: 'true' },
  expected: {
    redisPassword: { redisPassword: 'p@ss wörd ✓' },
    connectionStrings: { sql: 'Server=db;Password=x', mysql: 'root:root@tcp(127.0.0.1)/app' },
    port: { port: '5432' },
  },
  missingName: 'connectionStrings:sql',
  bulkIsExact: true,
});

// Single-valued, the store holds one value per secret, so it runs as a type without the feature.
runSecretStoreConformance({
  name: 'local file, one value per flattened key',
  definition: { ...definition, features: [] },
  metadata: { secretsFile: file, nestedSeparator: '.' },
  expected: {
    redisPassword: { redisPassword: 'p@ss wörd ✓' },
    'connectionStrings.sql': { 'connectionStrings.sql': 'Server=db;Password=x' },
    'connectionStrings.mysql': { 'connectionStrings.mysql': 'root:root@tcp(127.0.0.1)/app' },
    port: { port: '5432' },
  },
  missingName: 'connectionStrings',
  bulkIsExact: true,
});
