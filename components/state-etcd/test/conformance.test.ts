import { randomUUID } from 'node:crypto';
import { beforeAll } from 'vitest';
import { runStateConformance } from '@mecha/state/conformance';
import { definition } from '../src/index.ts';
import { requireTestEtcd, testEtcd } from './fixtures/test-etcd.ts';

beforeAll(() => requireTestEtcd());

runStateConformance({
  name: `etcd ${testEtcd}`,
  definition,
  // A prefix per run keeps parallel runs on one server apart.
  metadata: { endpoints: testEtcd, keyPrefixPath: `mecha-test-${randomUUID().slice(0, 8)}` },
  invalidEtag: 'not-a-revision',
});
