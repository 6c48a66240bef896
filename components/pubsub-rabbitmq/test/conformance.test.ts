import type { ChannelModel } from 'amqplib';
import type { PubSubBroker, PubSubFeature } from '@mecha/pubsub';
import { runPubSubConformance } from '@mecha/pubsub/conformance';
import type { ComponentDefinition } from '@mecha/core';
import { afterAll, beforeAll } from 'vitest';
import { definition } from '../src/index.ts';
import { adminConnection, cleanUp, testRabbitMq } from './fixtures/test-rabbitmq.ts';

// Queues outlive their subscribers here (deletedWhenUnused false), so the suite records
// what it subscribed to and deletes those queues and exchanges afterwards.
const queues = new Set<string>();
const exchanges = new Set<string>();

const recorded: ComponentDefinition<PubSubBroker, PubSubFeature, typeof definition.metadata> = {
  ...definition,
  create: async (metadata, context) => {
    const broker = await definition.create(metadata, context);
    const subscribe = broker.subscribe.bind(broker);
    broker.subscribe = (request, handler) => {
      queues.add(`${request.consumerGroup}-${request.topic}`);
      exchanges.add(request.topic);
      return subscribe(request, handler);
    };
    return broker;
  },
};

let admin: ChannelModel;
beforeAll(async () => {
  admin = await adminConnection();
});
afterAll(async () => {
  await cleanUp(admin, queues, exchanges);
  await admin.close();
});

runPubSubConformance({
  name: 'rabbitmq',
  definition: recorded,
  durable: true,
  // One queue per group is FIFO; a single subscriber sees the publish order.
  orderedPerKey: true,
  metadata: {
    connectionString: testRabbitMq,
    deletedWhenUnused: 'false',
    deliveryMode: '2',
    prefetchCount: '50',
    reconnectWaitSeconds: '0.2',
    clientName: 'mecha-conformance',
  },
  // A prefetch below a batch would cap it: a bulk subscription raises it; `single` then goes
  // a batch at a time, in queue order.
  smallLimits: [{ metadata: { prefetchCount: '5' } }, { metadata: { prefetchCount: '5', concurrencyMode: 'single' }, inOrder: true }],
});
