import { beforeAll } from 'vitest';
import { runStateConformance } from '@mecha/state/conformance';
import { definition } from '../src/index.ts';
import { requireTestMemcached, testMemcached } from './fixtures/test-memcached.ts';

beforeAll(() => requireTestMemcached());

runStateConformance({
  name: `memcached ${testMemcached}`,
  definition,
  metadata: { hosts: testMemcached },
  invalidEtag: 'not-a-cas',
});
