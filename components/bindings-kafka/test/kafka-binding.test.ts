import { randomUUID } from 'node:crypto';
import net from 'node:net';
import type { InputBindingEvent } from '@mecha/bindings';
import { silentLogger, validateMetadata } from '@mecha/core';
import type { Admin, ISocketFactory, KafkaMessage, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definition } from '../src/definition.ts';
import { KafkaBinding } from '../src/kafka-binding.ts';
import type { KafkaBindingOptions } from '../src/kafka-binding-options.ts';
import { fnv1a32, partitionForKey } from '../src/key-partitioner.ts';
import { createTopics, deleteTopics, kafkaAdmin, kafkaBrokers, testKafka, waitFor } from './kafka-server.ts';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

async function create(metadata: Record<string, string>) {
  const values = validateMetadata(definition.metadata, metadata);
  return (await definition.create(values, { name: 'kafka', appId: 'test', logger: silentLogger(), rawMetadata: metadata })) as KafkaBinding;
}

/** kafkajs sockets through a switch the test can turn off (a broker outage, without touching the shared broker). */
function switchableSockets(): { factory: ISocketFactory; cut(): void; restore(): void } {
  const open = new Set<net.Socket>();
  let down = false;
  const factory: ISocketFactory = ({ host, port, onConnect }) => {
    // While down, every attempt goes to a port nothing listens on.
    const socket = net.connect({ host: down ? '127.0.0.1' : host, port: down ? 1 : port }, onConnect);
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    return socket;
  };
  return {
    factory,
    cut() {
      down = true;
      for (const socket of open) socket.destroy(new Error('cut by the test'));
    },
    restore() {
      down = false;
    },
  };
}

describe('bindings.kafka', () => {
  let admin: Admin;
  let producer: Producer;
  const topics: string[] = [];
  const bindings: KafkaBinding[] = [];
  const newTopic = async (partitions = 3) => {
    const topic = `bindings-kafka-test-${randomUUID()}`;
    topics.push(topic);
    await createTopics([topic], partitions);
    return topic;
  };
  const open = async (options: Partial<KafkaBindingOptions>) => {
    const binding = await KafkaBinding.connect({ brokers: kafkaBrokers.split(','), consumerGroup: `group-${randomUUID()}`, ...options });
    bindings.push(binding);
    return binding;
  };
  /** Reads a topic's messages from the start with a throwaway group. */
  const readAll = async (topic: string, count: number): Promise<Array<{ partition: number; message: KafkaMessage }>> => {
    const consumer = testKafka.consumer({ groupId: `reader-${randomUUID()}` });
    const seen: Array<{ partition: number; message: KafkaMessage }> = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ partition, message }) => void seen.push({ partition, message }) });
    try {
      await waitFor(() => (seen.length >= count ? true : undefined), `${count} messages in ${topic}`);
      return seen;
    } finally {
      await consumer.disconnect();
    }
  };

  beforeAll(async () => {
    admin = await kafkaAdmin();
    producer = testKafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    await Promise.allSettled(bindings.map((binding) => binding.close()));
    await producer?.disconnect();
    await admin?.disconnect();
    await deleteTopics(topics);
  });

  it("publishes with Dapr's record layout: key from partitionKey, partitionNumber, every metadata entry as a header", async () => {
    const topic = await newTopic();
    const binding = await open({ publishTopic: topic, excludeHeaderMetadata: /^secret/ });
    await binding.invoke({ operation: 'create', data: Buffer.from('{"a":1}'), metadata: { partitionKey: 'order-7', traceparent: 't-1', secretToken: 'x' } });
    await binding.invoke({ operation: 'create', data: Buffer.from('pinned'), metadata: { partitionNumber: '2' } });
    await binding.invoke({ operation: 'create', data: Buffer.from('keyed'), metadata: { __key: 'order-9' } });
    const seen = await readAll(topic, 3);
    const byValue = new Map(seen.map((entry) => [entry.message.value!.toString(), entry]));
    const first = byValue.get('{"a":1}')!;
    expect(first.message.key!.toString()).toBe('order-7');
    expect(first.partition).toBe(partitionForKey(Buffer.from('order-7'), 3));
    expect(Object.fromEntries(Object.entries(first.message.headers!).map(([name, value]) => [name, value!.toString()]))).toEqual({ partitionKey: 'order-7', traceparent: 't-1' });
    expect(byValue.get('pinned')!.partition).toBe(2);
    expect(byValue.get('keyed')!.message.key!.toString()).toBe('order-9');
  });

  it('puts one key on one partition, as sarama does (FNV-1a)', () => {
    // Reference values of 32-bit FNV-1a, and the signed-modulo rule of sarama's hash partitioner.
    expect(fnv1a32(Buffer.from(''))).toBe(0x811c9dc5);
    expect(fnv1a32(Buffer.from('a'))).toBe(0xe40c292c);
    expect(fnv1a32(Buffer.from('foobar'))).toBe(0xbf9cf968);
    // 0x811c9dc5 is negative as an int32 (-2128831035): the remainder is negative, then made positive.
    expect(partitionForKey(Buffer.from(''), 1000)).toBe(35);
    expect(partitionForKey(Buffer.from('a'), 7)).toBe(Math.abs((0xe40c292c | 0) % 7));
    for (const key of ['x', 'order-1', 'ü']) expect(partitionForKey(Buffer.from(key), 6)).toBeLessThan(6);
  });

  it('refuses what it cannot publish: no publishTopic, too large, a schema, a bad partition, another operation', async () => {
    const topic = await newTopic();
    const noTopic = await open({});
    await expect(noTopic.invoke({ operation: 'create', data: Buffer.from('x'), metadata: {} })).rejects.toThrow('no publishTopic');
    const binding = await open({ publishTopic: topic, maxMessageBytes: 4 });
    await expect(binding.invoke({ operation: 'create', data: Buffer.from('12345'), metadata: {} })).rejects.toThrow('maxMessageBytes');
    await expect(binding.invoke({ operation: 'create', data: Buffer.from('1'), metadata: { valueSchemaType: 'Avro' } })).rejects.toThrow('valueSchemaType');
    await expect(binding.invoke({ operation: 'create', data: Buffer.from('1'), metadata: { partitionNumber: '-1' } })).rejects.toThrow('partitionNumber');
    await expect(binding.invoke({ operation: 'delete', data: Buffer.from('1'), metadata: {} })).rejects.toThrow('does not support the operation "delete"');
  });

  it("delivers every topic of the binding with Dapr's event metadata", async () => {
    const [a, b] = [await newTopic(), await newTopic(1)];
    const binding = await open({ topics: [a!, b!], escapeHeaders: true });
    const events: InputBindingEvent[] = [];
    await binding.read(async (event) => void events.push(event));
    await producer.send({ topic: a!, messages: [{ key: 'k 1', value: 'from a', partition: 1, headers: { 'x-trace': 'a b' } }] });
    await producer.send({ topic: b!, messages: [{ value: 'from b' }] });
    await waitFor(() => (events.length === 2 ? true : undefined), 'both events');
    const fromA = events.find((event) => text(event.data) === 'from a')!;
    expect(fromA.metadata).toMatchObject({ __key: 'k%201', __topic: a, __partition: '1', 'x-trace': 'a%20b' });
    expect(fromA.metadata['__offset']).toBe('0');
    expect(Number(fromA.metadata['__timestamp'])).toBeGreaterThan(Date.now() - 600_000);
    const fromB = events.find((event) => text(event.data) === 'from b')!;
    expect(fromB.metadata).toMatchObject({ __topic: b, __partition: '0' });
    expect(fromB.metadata['__key']).toBeUndefined();
  });

  it('keeps partition order: a rejected message holds back the ones behind it and is committed only once handled', async () => {
    const topic = await newTopic(1);
    const groupId = `group-${randomUUID()}`;
    const binding = await open({ topics: [topic], consumerGroup: groupId, redeliveryDelayMs: 20 });
    const seen: string[] = [];
    let failures = 0;
    await binding.read(async (event) => {
      const value = text(event.data);
      seen.push(value);
      if (value === 'm1' && failures < 3) {
        failures++;
        throw new Error('not yet');
      }
    });
    await producer.send({ topic, messages: ['m0', 'm1', 'm2'].map((value) => ({ value })) });
    await waitFor(() => (seen.includes('m2') ? true : undefined), 'm2');
    expect(seen).toEqual(['m0', 'm1', 'm1', 'm1', 'm1', 'm2']);
    const committed = await waitFor(async () => {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const offset = offsets?.partitions.find((entry) => entry.partition === 0)?.offset;
      return offset === '3' ? offset : undefined;
    }, 'the commit past m2');
    expect(committed).toBe('3');
  });

  it('starts a new group at the newest message by default, at the oldest when asked', async () => {
    const topic = await newTopic(2);
    await producer.send({ topic, messages: [{ value: 'old', partition: 0 }, { value: 'old', partition: 1 }] });
    const groupId = `group-${randomUUID()}`;
    const newest = await open({ topics: [topic], consumerGroup: groupId });
    const oldest = await open({ topics: [topic], initialOffset: 'oldest' });
    const atNewest: string[] = [];
    const atOldest: string[] = [];
    await newest.read(async (event) => void atNewest.push(text(event.data)));
    await oldest.read(async (event) => void atOldest.push(text(event.data)));
    // "Newest" is fixed when read() resolves: the group's position is committed at each partition's end.
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed!.partitions.map((entry) => [entry.partition, entry.offset]).sort()).toEqual([
      [0, '1'],
      [1, '1'],
    ]);
    // Published right after read() resolved: never skipped, on either partition.
    await producer.send({ topic, messages: [{ value: 'new', partition: 0 }, { value: 'new', partition: 1 }] });
    await waitFor(() => (atNewest.length === 2 && atOldest.length === 4 ? true : undefined), 'the messages');
    expect(atNewest).toEqual(['new', 'new']);
    expect(atOldest.sort()).toEqual(['new', 'new', 'old', 'old']);
  });

  it('shares the partitions among the readers of one group: each message reaches one of them', async () => {
    const topic = await newTopic(4);
    const groupId = `group-${randomUUID()}`;
    const first = await open({ topics: [topic], consumerGroup: groupId, assignmentStrategy: 'roundrobin' });
    const second = await open({ topics: [topic], consumerGroup: groupId, assignmentStrategy: 'roundrobin' });
    const got: Array<[string, string]> = [];
    await Promise.all([first.read(async (event) => void got.push(['first', text(event.data)])), second.read(async (event) => void got.push(['second', text(event.data)]))]);
    // The second join rebalances the group; wait until both members read before counting.
    await waitFor(async () => {
      const description = await admin.describeGroups([groupId]);
      const members = description.groups[0]?.members ?? [];
      return description.groups[0]?.state === 'Stable' && members.length === 2 ? true : undefined;
    }, 'a stable group of two');
    const values = Array.from({ length: 40 }, (_, i) => `v${i}`);
    await producer.send({ topic, messages: values.map((value, i) => ({ value, partition: i % 4 })) });
    await waitFor(() => (got.length >= 40 ? true : undefined), 'all 40 messages');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(got.map(([, value]) => value).sort()).toEqual([...values].sort());
    expect(new Set(got.map(([reader]) => reader))).toEqual(new Set(['first', 'second']));
  });

  it('reads on after the brokers were unreachable, and publishing works again', async () => {
    const topic = await newTopic(1);
    const sockets = switchableSockets();
    const binding = await open({ topics: [topic], publishTopic: topic, socketFactory: sockets.factory, sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 });
    const seen: string[] = [];
    await binding.read(async (event) => void seen.push(text(event.data)));
    await binding.invoke({ operation: 'create', data: Buffer.from('before'), metadata: {} });
    await waitFor(() => (seen.includes('before') ? true : undefined), 'the message before the outage');
    sockets.cut();
    await producer.send({ topic, messages: [{ value: 'during' }] });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    sockets.restore();
    await waitFor(() => binding.invoke({ operation: 'create', data: Buffer.from('after'), metadata: {} }).then(() => true, () => undefined), 'publishing to work again', 60_000);
    await waitFor(() => (seen.includes('during') && seen.includes('after') ? true : undefined), 'the messages after the outage', 60_000);
    expect(seen.filter((value) => value === 'before')).toEqual(['before']);
  });

  it('creates a topic to read that does not exist yet', async () => {
    const topic = `bindings-kafka-test-${randomUUID()}`;
    topics.push(topic);
    const binding = await open({ topics: [topic], publishTopic: topic });
    const seen: string[] = [];
    await binding.read(async (event) => void seen.push(text(event.data)));
    await binding.invoke({ operation: 'create', data: Buffer.from('first'), metadata: {} });
    await waitFor(() => (seen.includes('first') ? true : undefined), 'the first message');
  });

  it('does not read without topics, and refuses a second read', async () => {
    const topic = await newTopic(1);
    const none = await open({});
    await expect(none.read(async () => undefined)).resolves.toBeUndefined();
    const binding = await open({ topics: [topic] });
    await binding.read(async () => undefined);
    await expect(binding.read(async () => undefined)).rejects.toThrow('already being read');
  });

  it('refuses bad metadata at start, naming the field', async () => {
    const ok = { brokers: kafkaBrokers, authType: 'none' };
    await expect(create({ authType: 'none' })).rejects.toThrow('metadata field "brokers": is required');
    await expect(create({ brokers: kafkaBrokers })).rejects.toThrow('metadata field "authType" is required');
    await expect(create({ ...ok, brokers: 'localhost' })).rejects.toThrow('metadata field "brokers" "localhost" is not host:port');
    await expect(create({ ...ok, authType: 'oidc' })).rejects.toThrow('metadata field "authType" "oidc" is not supported');
    await expect(create({ ...ok, authType: 'kerberos' })).rejects.toThrow('metadata field "authType"');
    await expect(create({ ...ok, authType: 'password', saslUsername: 'u' })).rejects.toThrow('metadata field "saslPassword" is required');
    await expect(create({ ...ok, authType: 'password', saslUsername: 'u', saslPassword: 'p', saslMechanism: 'MD5' })).rejects.toThrow('metadata field "saslMechanism"');
    await expect(create({ ...ok, authType: 'certificate' })).rejects.toThrow('metadata field "caCert" is required');
    await expect(create({ ...ok, topics: 'orders' })).rejects.toThrow('metadata field "consumerGroup" is required');
    await expect(create({ ...ok, consumerGroupRebalanceStrategy: 'sticky' })).rejects.toThrow('metadata field "consumerGroupRebalanceStrategy"');
    await expect(create({ ...ok, compression: 'zstd' })).rejects.toThrow('metadata field "compression"');
    await expect(create({ ...ok, sessionTimeout: '2s', heartbeatInterval: '3s' })).rejects.toThrow('metadata field "sessionTimeout"');
    await expect(create({ ...ok, initialOffset: 'latest' })).rejects.toThrow('metadata field "initialOffset"');
    await expect(create({ ...ok, excludeHeaderMetaRegex: '(' })).rejects.toThrow('metadata field "excludeHeaderMetaRegex"');
    await expect(create({ ...ok, producerRequiredAcks: 'two' })).rejects.toThrow('metadata field "producerRequiredAcks"');
  });

  it('accepts the deprecated authRequired and a consumerID in place of consumerGroup, as Dapr does', async () => {
    const topic = await newTopic(1);
    const binding = await create({ brokers: kafkaBrokers, authRequired: 'false', topics: topic, publishTopic: topic, consumerID: `group-${randomUUID()}` });
    bindings.push(binding);
    const seen: string[] = [];
    await binding.read(async (event) => void seen.push(text(event.data)));
    await binding.invoke({ operation: 'create', data: Buffer.from('hello'), metadata: {} });
    await waitFor(() => (seen.includes('hello') ? true : undefined), 'the message');
  });

  it('refuses to start when no broker answers, naming the brokers', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    await expect(create({ brokers: `127.0.0.1:${port}`, authType: 'none' })).rejects.toThrow(`Kafka brokers 127.0.0.1:${port} are unreachable`);
  });
});
