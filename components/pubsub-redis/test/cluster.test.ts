import { runPubSubConformance } from '@mecha/pubsub/conformance';
import { afterAll } from 'vitest';
import { definition } from '../src/index.ts';
import { TestCluster } from './fixtures/redis-cluster.ts';

// A private three-node Redis Cluster, started from the redis-server binary for this file: the
// kit's topics hash to different nodes, so reads, claims, scripts and pipelines are routed there.
const cluster = await TestCluster.start();
afterAll(() => cluster.stop());

runPubSubConformance({
  name: `redis streams on a cluster (${cluster.host})`,
  definition,
  metadata: {
    redisHost: cluster.host,
    redisType: 'cluster',
    // Room for a loaded CI machine: the component's default (5 s) is what users get.
    dialTimeout: '30s',
    processingTimeout: '2s',
    redeliverInterval: '500ms',
    nackRedeliverDelay: '20ms',
  },
  competingConsumers: true,
  durable: true,
});
