import { defineComponent } from '@mecha/core';
import type { PubSubBroker } from '@mecha/pubsub';
import { runPubSubConformance } from '@mecha/pubsub/conformance';
import { afterAll, beforeAll } from 'vitest';
import { definition, type Mqtt3Subscription } from '../src/index.ts';
import { MQTT_URL, discardSession, requireBroker } from './mqtt-server.ts';

beforeAll(() => requireBroker(MQTT_URL, 'mosquitto'));

// Subscriber sessions are persistent by design; the kit's topics are random, so remove the
// sessions this run made once the kit has closed everything.
const sessions = new Set<string>();
afterAll(async () => {
  for (const clientId of sessions) await discardSession(MQTT_URL, clientId);
});

const recordingDefinition = defineComponent({
  ...definition,
  async create(metadata, context): Promise<PubSubBroker> {
    const broker = await definition.create(metadata, context);
    return {
      publish: (message) => broker.publish(message),
      subscribe: async (request, handler) => {
        const subscription = await broker.subscribe(request, handler);
        sessions.add((subscription as Mqtt3Subscription).clientId);
        return subscription;
      },
      ping: () => broker.ping!(),
      close: () => broker.close(),
    };
  },
});

runPubSubConformance({
  name: 'mosquitto',
  definition: recordingDefinition,
  metadata: { url: MQTT_URL },
  competingConsumers: true,
  // Persistent sessions keep a group's messages; MQTT promises no order once messages are
  // handled concurrently and redelivered, so orderedPerKey stays off.
  durable: true,
});
