import { randomUUID } from 'node:crypto';
import { silentLogger, validateMetadata } from '@mecha/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definition } from '../src/definition.ts';
import { waitFor } from './mqtt-server.ts';
import { TlsMosquitto } from './tls-mosquitto.ts';

describe('bindings.mqtt3 over TLS with a client certificate', () => {
  let server: TlsMosquitto;

  beforeAll(async () => {
    server = await TlsMosquitto.start();
  });

  afterAll(() => server?.stop());

  const create = async (metadata: Record<string, string>) =>
    definition.create(validateMetadata(definition.metadata, metadata), { name: 'tls', appId: 'test', logger: silentLogger(), rawMetadata: metadata });

  it('reads and publishes with caCert, clientCert and clientKey (PEM with literal \\n accepted)', async () => {
    const topic = `mecha/bindings-tls/${randomUUID()}`;
    const binding = await create({
      url: `ssl://localhost:${server.port}`,
      topic,
      consumerID: `tls-${randomUUID()}`,
      cleanSession: 'true',
      caCert: server.ca.replace(/\n/g, '\\n'),
      clientCert: server.clientCert,
      clientKey: server.clientKey,
    });
    try {
      const seen: string[] = [];
      await binding.read!(async (event) => void seen.push(Buffer.from(event.data).toString()));
      await binding.invoke!({ operation: 'create', data: Buffer.from('over tls'), metadata: {} });
      await waitFor(() => (seen.length > 0 ? true : undefined), 'the message');
      expect(seen).toEqual(['over tls']);
    } finally {
      await binding.close();
    }
  });

  it('refuses to start without the client certificate the broker requires, naming the broker', async () => {
    await expect(create({ url: `mqtts://localhost:${server.port}`, topic: 't', consumerID: `tls-${randomUUID()}`, caCert: server.ca })).rejects.toThrow(
      `MQTT broker mqtts://localhost:${server.port}`,
    );
  });
});
