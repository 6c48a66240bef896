import { randomUUID } from 'node:crypto';
import { runBindingConformance } from '@mecha/bindings/conformance';
import { afterAll, expect } from 'vitest';
import { definition } from '../src/definition.ts';
import { discardSessions, mqttUrl, rawMqtt, waitFor } from './mqtt-server.ts';

const run = randomUUID();
const consumerID = `conformance-${run}`;

afterAll(() => discardSessions([`${consumerID}-consumer`]));

runBindingConformance({
  name: 'mqtt3',
  definition,
  metadata: { url: mqttUrl, topic: `mecha/bindings-conformance/${run}`, consumerID },
  output: {
    operations: ['create'],
    async roundTrip({ unique, invoke }) {
      const topic = `mecha/bindings-conformance/${run}/round-trip`;
      const subscriber = await rawMqtt();
      try {
        const received: string[] = [];
        subscriber.on('message', (from, payload) => {
          if (from === topic) received.push(payload.toString());
        });
        await subscriber.subscribeAsync(topic, { qos: 1 });
        await invoke('create', `{"id":"${unique}"}`, { topic });
        expect(await waitFor(() => received[0], 'the published message')).toBe(`{"id":"${unique}"}`);
      } finally {
        await subscriber.endAsync();
      }
    },
  },
  input: {
    trigger: async ({ unique, service }) => {
      await service.invoke({ operation: 'create', data: Buffer.from(unique), metadata: {} });
    },
    // The persistent session (cleanSession false) keeps what the reader did not acknowledge.
    redelivers: true,
  },
});
