import { randomUUID } from 'node:crypto';
import net from 'node:net';
import type { InputBindingEvent } from '@mecha/bindings';
import { silentLogger, validateMetadata } from '@mecha/core';
import type { IPublishPacket, MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definition } from '../src/definition.ts';
import { Mqtt3Binding, type Mqtt3BindingOptions } from '../src/mqtt3-binding.ts';
import { discardSessions, mqttUrl, rawMqtt, waitFor } from './mqtt-server.ts';
import { TcpProxy } from './tcp-proxy.ts';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

async function create(metadata: Record<string, string>) {
  const values = validateMetadata(definition.metadata, metadata);
  return (await definition.create(values, { name: 'mqtt', appId: 'test', logger: silentLogger(), rawMetadata: metadata })) as Mqtt3Binding;
}

describe('bindings.mqtt3', () => {
  let raw: MqttClient;
  const bindings: Mqtt3Binding[] = [];
  const consumerIds: string[] = [];
  const names = () => {
    const id = randomUUID();
    consumerIds.push(`binding-test-${id}`);
    return { topic: `mecha/bindings-mqtt3-test/${id}`, consumerID: `binding-test-${id}` };
  };
  const open = async (options: Partial<Mqtt3BindingOptions> & { topic: string; consumerID: string }) => {
    const binding = await Mqtt3Binding.connect({ url: mqttUrl, retryDelayMs: 20, reconnectPeriodMs: 100, ...options });
    bindings.push(binding);
    return binding;
  };
  const publish = (binding: Mqtt3Binding, data: string, metadata: Record<string, string> = {}) =>
    binding.invoke({ operation: 'create', data: Buffer.from(data), metadata });
  /** A raw subscriber collecting the packets of `topic`. */
  const watch = async (topic: string) => {
    const client = await rawMqtt();
    const packets: IPublishPacket[] = [];
    client.on('message', (_topic, _payload, packet) => packets.push(packet));
    await client.subscribeAsync(topic, { qos: 1 });
    return { packets, close: () => client.endAsync() };
  };

  beforeAll(async () => {
    raw = await rawMqtt();
  });

  afterAll(async () => {
    await Promise.allSettled(bindings.map((binding) => binding.close()));
    await raw?.endAsync();
    await discardSessions(consumerIds.map((id) => `${id}-consumer`));
  });

  it('publishes to the component topic or the request topic, with the retain flag of the component or the request', async () => {
    const { topic, consumerID } = names();
    const binding = await open({ topic, consumerID, retain: true });
    const own = await watch(topic);
    const other = await watch(`${topic}/other`);
    try {
      await publish(binding, 'to own topic');
      await publish(binding, 'to other topic', { topic: `${topic}/other`, retain: 'false' });
      await waitFor(() => (own.packets.length === 1 && other.packets.length === 1 ? true : undefined), 'both messages');
      expect(own.packets[0]!.payload.toString()).toBe('to own topic');
      expect(other.packets[0]!.payload.toString()).toBe('to other topic');
    } finally {
      await own.close();
      await other.close();
    }
    // Only the retained one is kept for a new subscriber.
    const late = await watch(`${topic}/#`);
    try {
      const retained = await waitFor(() => late.packets[0], 'the retained message');
      expect(retained.payload.toString()).toBe('to own topic');
      expect(retained.retain).toBe(true);
    } finally {
      await late.close();
      await raw.publishAsync(topic, '', { retain: true, qos: 1 });
    }
  });

  it('refuses a publish topic with wildcards, a bad retain value and other operations', async () => {
    const { topic, consumerID } = names();
    const binding = await open({ topic: `${topic}/+`, consumerID });
    await expect(publish(binding, 'x')).rejects.toThrow('has no wildcards');
    await expect(publish(binding, 'x', { topic: `${topic}/#` })).rejects.toThrow('has no wildcards');
    await expect(publish(binding, 'x', { topic, retain: 'maybe' })).rejects.toThrow('metadata retain');
    await expect(binding.invoke({ operation: 'get', data: new Uint8Array(0), metadata: {} })).rejects.toThrow('does not support the operation "get"');
  });

  it('reads a wildcard topic, with the concrete topic in the event metadata', async () => {
    const { topic, consumerID } = names();
    const binding = await open({ topic: `${topic}/+/temperature`, consumerID });
    const events: InputBindingEvent[] = [];
    await binding.read(async (event) => void events.push(event));
    await raw.publishAsync(`${topic}/kitchen/temperature`, '21.5', { qos: 1 });
    await raw.publishAsync(`${topic}/kitchen/humidity`, '40', { qos: 1 });
    await raw.publishAsync(`${topic}/garage/temperature`, '12', { qos: 0 });
    await waitFor(() => (events.length === 2 ? true : undefined), 'two temperature events');
    expect(events.map((event) => [event.metadata['topic'], text(event.data)]).sort()).toEqual([
      [`${topic}/garage/temperature`, '12'],
      [`${topic}/kitchen/temperature`, '21.5'],
    ]);
  });

  it('acknowledges a message only once handled: a reader that goes away mid-handling leaves it to the next', async () => {
    const { topic, consumerID } = names();
    const first = await open({ topic, consumerID, drainTimeoutMs: 100 });
    let started = 0;
    await first.read(() => {
      started++;
      return new Promise<void>(() => {}); // never settles: the app hangs
    });
    await raw.publishAsync(topic, 'hanging', { qos: 1 });
    await waitFor(() => (started === 1 ? true : undefined), 'the message at the first reader');
    await first.close();
    const second = await open({ topic, consumerID });
    const seen: string[] = [];
    await second.read(async (event) => void seen.push(text(event.data)));
    await waitFor(() => (seen.includes('hanging') ? true : undefined), 'the message at the next reader');
    await second.close();
    // The second reader acknowledged it: a third gets only what is new.
    const third = await open({ topic, consumerID });
    const later: string[] = [];
    await third.read(async (event) => void later.push(text(event.data)));
    await raw.publishAsync(topic, 'new', { qos: 1 });
    await waitFor(() => (later.includes('new') ? true : undefined), 'the new message');
    expect(later).toEqual(['new']);
  });

  it('hands a rejected message over again backOffMaxRetries times, then gives it back to the broker, which resends it', async () => {
    const { topic, consumerID } = names();
    const binding = await open({ topic, consumerID, backOffMaxRetries: 2 });
    const attempts: string[] = [];
    await binding.read(async (event) => {
      attempts.push(text(event.data));
      if (attempts.length <= 3) throw new Error(`rejected ${attempts.length}`);
    });
    await raw.publishAsync(topic, 'stubborn', { qos: 1 });
    // Three attempts within the connection, then the broker's resend after the reconnect succeeds.
    await waitFor(() => (attempts.length === 4 ? true : undefined), 'the attempt after the resend');
    expect(attempts).toEqual(['stubborn', 'stubborn', 'stubborn', 'stubborn']);
  });

  it('handles a message once across a lost connection and acknowledges it afterwards', async () => {
    const { topic, consumerID } = names();
    const target = new URL(mqttUrl);
    const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 1883) });
    await proxy.start();
    const binding = await open({ url: `tcp://127.0.0.1:${proxy.port}`, topic, consumerID, timeoutMs: 1000 });
    try {
      const seen: string[] = [];
      let release!: () => void;
      await binding.read(async (event) => {
        seen.push(text(event.data));
        if (seen.length === 1) await new Promise<void>((resolve) => (release = resolve));
      });
      await raw.publishAsync(topic, 'across the cut', { qos: 1 });
      await waitFor(() => (seen.length === 1 ? true : undefined), 'the message');
      // The connection drops while the app handles the message; the broker resends it after the reconnect.
      await proxy.stop();
      await expect(publish(binding, 'x', { topic: `${topic}/ignored` }).then(() => 'sent', (error: Error) => error.message)).resolves.toMatch(/not connected|acknowledge/);
      await proxy.start();
      await waitFor(() => (binding.readerConnected ? true : undefined), 'the reader to reconnect');
      release();
      // Published while reconnected: handled, showing the resent one was answered by the handling in progress.
      await raw.publishAsync(topic, 'after', { qos: 1 });
      await waitFor(() => (seen.includes('after') ? true : undefined), 'the next message');
      expect(seen).toEqual(['across the cut', 'after']);
      await binding.close();
      // Nothing unacknowledged is left in the session.
      const again = await open({ topic, consumerID });
      let redelivered = 0;
      await again.read(async () => void redelivered++);
      await raw.publishAsync(topic, 'marker', { qos: 1 });
      await waitFor(() => (redelivered >= 1 ? true : undefined), 'the marker');
      expect(redelivered).toBe(1);
    } finally {
      await binding.close();
      await proxy.stop();
    }
  });

  it('refuses bad metadata at start, naming the field', async () => {
    const ok = { url: mqttUrl, topic: 't', consumerID: 'c' };
    await expect(create({ topic: 't', consumerID: 'c' })).rejects.toThrow('metadata field "url": is required');
    await expect(create({ url: mqttUrl, consumerID: 'c' })).rejects.toThrow('metadata field "topic": is required');
    await expect(create({ url: mqttUrl, topic: 't' })).rejects.toThrow('metadata field "consumerID": is required');
    await expect(create({ ...ok, url: 'http://localhost:1883' })).rejects.toThrow('metadata field "url" has the scheme "http"');
    await expect(create({ ...ok, backOffMaxRetries: '-2' })).rejects.toThrow('metadata field "backOffMaxRetries"');
    await expect(create({ ...ok, cleanSession: 'sometimes' })).rejects.toThrow('metadata field "cleanSession"');
    await expect(create({ ...ok, clientCert: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----' })).rejects.toThrow('metadata field "clientKey"');
    await expect(create({ ...ok, caCert: 'not pem' })).rejects.toThrow('metadata field "caCert" is not PEM');
  });

  it('refuses to start when the broker does not answer, naming it without its password', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    await expect(create({ url: `tcp://user:secret@127.0.0.1:${port}`, topic: 't', consumerID: 'c' })).rejects.toThrow(`MQTT broker tcp://user:***@127.0.0.1:${port}`);
  });
});
