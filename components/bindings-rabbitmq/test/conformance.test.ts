import { randomUUID } from 'node:crypto';
import { runBindingConformance } from '@mecha/bindings/conformance';
import { afterAll, expect } from 'vitest';
import { definition } from '../src/definition.ts';
import { amqpUrl, deleteQueues, rawRabbit, waitFor } from './rabbitmq-server.ts';

const queueName = `bindings-conformance-${randomUUID()}`;

afterAll(() => deleteQueues([queueName]));

runBindingConformance({
  name: 'rabbitmq',
  definition,
  metadata: { host: amqpUrl, queueName, reconnectWaitInSeconds: '1' },
  output: {
    operations: ['create'],
    async roundTrip({ unique, invoke }) {
      await invoke('create', `{"id":"${unique}"}`, { messageID: unique });
      const connection = await rawRabbit();
      try {
        const channel = await connection.createChannel();
        const message = await waitFor(async () => (await channel.get(queueName, { noAck: true })) || undefined, 'the published message');
        expect(message.content.toString()).toBe(`{"id":"${unique}"}`);
        expect(message.properties.messageId).toBe(unique);
      } finally {
        await connection.close();
      }
    },
  },
  input: {
    trigger: async ({ unique, service }) => {
      await service.invoke({ operation: 'create', data: Buffer.from(unique), metadata: {} });
    },
    redelivers: true,
  },
});
