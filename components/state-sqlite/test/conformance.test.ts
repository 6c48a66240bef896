import { afterAll } from 'vitest';
import { runStateConformance } from '@mecha/state/conformance';
import { definition } from '../src/index.ts';
import { tempDir } from './fixtures/temp-db.ts';

const files = tempDir();
afterAll(() => files.remove());

runStateConformance({
  name: 'sqlite file',
  definition,
  createMetadata: () => ({ connectionString: files.file(), cleanupInterval: '1s' }),
});

runStateConformance({ name: 'sqlite :memory:', definition, metadata: { connectionString: ':memory:' } });
