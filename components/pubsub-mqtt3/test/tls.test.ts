import { randomUUID } from 'node:crypto';
import { silentLogger, validateMetadata } from '@mecha/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definition } from '../src/index.ts';
import { TlsBroker } from './tls-broker.ts';

describe('pubsub.mqtt3 over TLS with a client certificate', () => {
  let server: TlsBroker;

  beforeAll(async () => {
    server = await TlsBroker.start();
  });

  afterAll(() => server?.stop());

  const create = (raw: Record<string, string>) =>
    definition.create(validateMetadata(definition.metadata, raw), { name: 'tls', appId: 'tls-test', logger: silentLogger(), rawMetadata: raw });

  it('publishes and subscribes with caCert, clientCert and clientKey', async () => {
    const broker = await create({
      url: `ssl://localhost:${server.port}`,
      caCert: server.material.ca,
      clientCert: server.material.clientCert,
      clientKey: server.material.clientKey,
    });
    try {
      const topic = `mecha-test/tls/${randomUUID().slice(0, 8)}`;
      const seen: string[] = [];
      await broker.subscribe({ topic, consumerGroup: 'tls', metadata: {} }, async (message) => {
        seen.push(new TextDecoder().decode(message.data));
      });
      await broker.publish({ topic, data: new TextEncoder().encode('secret'), metadata: {} });
      const deadline = Date.now() + 10_000;
      while (seen.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(seen).toEqual(['secret']);
    } finally {
      await broker.close();
    }
  });

  it('is refused without the client certificate, and without the CA', async () => {
    await expect(create({ url: `mqtts://localhost:${server.port}`, caCert: server.material.ca })).rejects.toThrow(
      /cannot connect to the MQTT broker at mqtts:\/\/localhost/,
    );
    await expect(
      create({ url: `tls://localhost:${server.port}`, clientCert: server.material.clientCert, clientKey: server.material.clientKey }),
    ).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  });
});
