import { beforeAll } from 'vitest';
import { runStateConformance } from '@mecha/state/conformance';
import { definition } from '../src/index.ts';
import { requireTestRedis, testRedis } from './fixtures/test-redis.ts';

beforeAll(() => requireTestRedis());

runStateConformance({
  name: `redis node ${testRedis}`,
  definition,
  metadata: { redisHost: testRedis },
  invalidEtag: 'not-a-version',
});
