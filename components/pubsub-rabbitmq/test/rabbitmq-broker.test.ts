import type { BrokerMessage, PubSubBroker } from '@mecha/pubsub';
import type { ChannelModel } from 'amqplib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RabbitMqBroker, connectionTarget } from '../src/index.ts';
import {
  adminConnection,
  cleanUp,
  createBroker,
  message,
  onFreshChannel,
  sleep,
  testRabbitMq,
  text,
  unique,
  until,
} from './fixtures/test-rabbitmq.ts';

const base = { connectionString: testRabbitMq, reconnectWaitSeconds: '0.2', clientName: 'mecha-rmq-test' };

describe('pubsub.rabbitmq against the shared server', () => {
  let admin: ChannelModel;
  const brokers: PubSubBroker[] = [];
  const queues = new Set<string>();
  const exchanges = new Set<string>();

  beforeAll(async () => {
    admin = await adminConnection();
  });
  afterEach(async () => {
    await Promise.allSettled(brokers.splice(0).map((broker) => broker.close()));
  });
  afterAll(async () => {
    await cleanUp(admin, queues, exchanges);
    await admin.close();
  });

  async function broker(raw: Record<string, string> = {}): Promise<PubSubBroker> {
    const created = await createBroker({ ...base, ...raw });
    brokers.push(created);
    return created;
  }

  /** A topic and group of this run; their queue and exchange are deleted at the end. */
  function names(label: string, queueName?: string) {
    const topic = unique(label);
    const group = unique(`${label}-group`);
    const queue = queueName ?? `${group}-${topic}`;
    queues.add(queue);
    exchanges.add(topic);
    return { topic, group, queue };
  }

  function inbox(answer: (m: BrokerMessage, attempt: number) => Promise<void> = async () => {}) {
    const seen: BrokerMessage[] = [];
    const handler = async (m: BrokerMessage) => {
      seen.push(m);
      await answer(m, seen.filter((other) => text(other) === text(m)).length);
    };
    return { seen, handler, texts: () => seen.map(text) };
  }

  const queueInfo = (queue: string) => onFreshChannel(admin, (channel) => channel.checkQueue(queue));

  it('declares the exchange and the group queue as daprd does, and delivers with the publish properties', async () => {
    const { topic, group, queue } = names('layout');
    const rabbit = await broker({ publishMessagePropertiesToMetadata: 'true' });
    const box = inbox();
    await rabbit.subscribe({ topic, consumerGroup: group, metadata: {} }, box.handler);
    expect(await queueInfo(queue)).toMatchObject({ queue, consumerCount: 1 });
    await rabbit.publish(message(topic, 'hello', { messageID: 'm-1', correlationID: 'c-1', type: 'greeting' }));
    await until('the delivery', () => box.seen.length === 1);
    expect(box.seen[0]).toMatchObject({
      topic,
      contentType: 'text/plain',
      metadata: {
        'metadata.messageid': 'm-1',
        'metadata.correlationid': 'c-1',
        'metadata.type': 'greeting',
        'metadata.contenttype': 'text/plain',
      },
    });
    expect(text(box.seen[0]!)).toBe('hello');
  });

  it('redelivers a message the handler rejected, after a pause, until it is handled', async () => {
    const { topic, group } = names('nack');
    const rabbit = await broker();
    const box = inbox(async (_m, attempt) => {
      if (attempt < 3) throw new Error(`attempt ${attempt} fails`);
    });
    await rabbit.subscribe({ topic, consumerGroup: group, metadata: {} }, box.handler);
    await rabbit.publish(message(topic, 'stubborn'));
    await until('three attempts', () => box.seen.length === 3);
    await sleep(200);
    expect(box.texts()).toEqual(['stubborn', 'stubborn', 'stubborn']);
  });

  it('dead-letters a rejected message to dlq-<queue> with enableDeadLetter (and requeues it with requeueInFailure)', async () => {
    const dead = names('dlx');
    queues.add(`dlq-${dead.queue}`);
    exchanges.add(`dlx-${dead.queue}`);
    const rabbit = await broker({ enableDeadLetter: 'true', deletedWhenUnused: 'false' });
    const box = inbox(async () => {
      throw new Error('poison');
    });
    await rabbit.subscribe({ topic: dead.topic, consumerGroup: dead.group, metadata: {} }, box.handler);
    await rabbit.publish(message(dead.topic, 'poison'));
    await until('the dead letter', async () => (await queueInfo(`dlq-${dead.queue}`))?.messageCount === 1);
    expect(box.seen).toHaveLength(1);
    const letter = await onFreshChannel(admin, (channel) => channel.get(`dlq-${dead.queue}`, { noAck: true }));
    expect(letter && letter.content.toString()).toBe('poison');
    expect(letter && letter.properties.headers?.['x-first-death-reason']).toBe('rejected');

    const requeued = names('dlx-requeue');
    queues.add(`dlq-${requeued.queue}`);
    exchanges.add(`dlx-${requeued.queue}`);
    const retrying = await broker({ enableDeadLetter: 'true', requeueInFailure: 'true', deletedWhenUnused: 'false' });
    const again = inbox(async (_m, attempt) => {
      if (attempt === 1) throw new Error('once');
    });
    await retrying.subscribe({ topic: requeued.topic, consumerGroup: requeued.group, metadata: {} }, again.handler);
    await retrying.publish(message(requeued.topic, 'second chance'));
    await until('the redelivery', () => again.seen.length === 2);
    expect((await queueInfo(`dlq-${requeued.queue}`))?.messageCount).toBe(0);
  });

  it('hands a message whose handler never settled to the next subscriber of the group once the first one closes', async () => {
    const { topic, group } = names('hung');
    // A short drain bound keeps the test quick; through metadata it is 5 s.
    const stuck = await RabbitMqBroker.connect({
      target: connectionTarget({ connectionString: testRabbitMq }),
      deleteWhenUnused: false,
      drainTimeoutMs: 100,
    });
    brokers.push(stuck);
    let taken = 0;
    const subscription = await stuck.subscribe({ topic, consumerGroup: group, metadata: {} }, () => {
      taken++;
      return new Promise<void>(() => {});
    });
    const other = await broker({ deletedWhenUnused: 'false' });
    await other.publish(message(topic, 'in flight'));
    await until('the first subscriber to take it', () => taken === 1);
    // Closing gives up on the hung handler after its bound and leaves the message unacknowledged.
    await subscription.close();
    const box = inbox();
    await other.subscribe({ topic, consumerGroup: group, metadata: {} }, box.handler);
    await until('the redelivery', () => box.seen.length === 1);
    expect(box.texts()).toEqual(['in flight']);
  });

  it('keeps messages for a group while it has no subscriber (deletedWhenUnused false), persistent with deliveryMode 2', async () => {
    const { topic, group, queue } = names('offline');
    const rabbit = await broker({ deletedWhenUnused: 'false', deliveryMode: '2' });
    const first = await rabbit.subscribe({ topic, consumerGroup: group, metadata: {} }, async () => {});
    await first.close();
    for (const n of ['1', '2', '3']) await rabbit.publish(message(topic, n));
    expect(await queueInfo(queue)).toMatchObject({ messageCount: 3, consumerCount: 0 });
    const peek = await onFreshChannel(admin, async (channel) => {
      const got = await channel.get(queue);
      if (got) channel.nack(got, false, true);
      return got;
    });
    expect(peek && peek.properties.deliveryMode).toBe(2);
    const box = inbox();
    await rabbit.subscribe({ topic, consumerGroup: group, metadata: {} }, box.handler);
    await until('the three messages', () => box.seen.length === 3);
    expect(box.texts().sort()).toEqual(['1', '2', '3']);
  });

  it("with daprd's default deletedWhenUnused, the group's queue goes with its last subscriber", async () => {
    const { topic, group, queue } = names('auto-delete');
    const rabbit = await broker();
    const subscription = await rabbit.subscribe({ topic, consumerGroup: group, metadata: {} }, async () => {});
    expect(await queueInfo(queue)).toMatchObject({ consumerCount: 1 });
    // The publisher now knows the exchange as declared.
    await rabbit.publish(message(topic, 'first'));
    await subscription.close();
    await until('the queue to be deleted', async () => (await queueInfo(queue)) === undefined);
    const exchangeGone = await onFreshChannel(admin, (channel) => channel.checkExchange(topic).then(() => false));
    expect(exchangeGone).toBeUndefined();
    // The exchange went with it; publishing declares it again instead of failing with 404.
    await rabbit.publish(message(topic, 'nobody listens'));
    const box = inbox();
    await rabbit.subscribe({ topic, consumerGroup: group, metadata: {} }, box.handler);
    await rabbit.publish(message(topic, 'listened to'));
    await until('the delivery', () => box.seen.length === 1);
    expect(box.texts()).toEqual(['listened to']);
  });

  it('expires messages by their own ttlInSeconds and by the component default', async () => {
    const { topic, group } = names('ttl');
    const rabbit = await broker({ deletedWhenUnused: 'false', ttlInSeconds: '3600' });
    const first = await rabbit.subscribe({ topic, consumerGroup: group, metadata: {} }, async () => {});
    await first.close();
    await rabbit.publish(message(topic, 'short', { ttlInSeconds: '1ms' }));
    await rabbit.publish(message(topic, 'default'));
    await sleep(50);
    const box = inbox();
    await rabbit.subscribe({ topic, consumerGroup: group, metadata: {} }, box.handler);
    await until('the unexpired message', () => box.seen.length === 1);
    await sleep(200);
    expect(box.texts()).toEqual(['default']);

    const shortDefault = names('ttl-default');
    const expiring = await broker({ deletedWhenUnused: 'false', ttlInSeconds: '1ms' });
    const gone = await expiring.subscribe({ topic: shortDefault.topic, consumerGroup: shortDefault.group, metadata: {} }, async () => {});
    await gone.close();
    await expiring.publish(message(shortDefault.topic, 'expires by default'));
    await expiring.publish(message(shortDefault.topic, 'kept', { ttlInSeconds: '3600' }));
    await sleep(50);
    const later = inbox();
    await expiring.subscribe({ topic: shortDefault.topic, consumerGroup: shortDefault.group, metadata: {} }, later.handler);
    await until('the kept message', () => later.seen.length === 1);
    await sleep(200);
    expect(later.texts()).toEqual(['kept']);
  });

  it('holds at most prefetchCount unacknowledged messages per subscription', async () => {
    const { topic, group } = names('prefetch');
    const rabbit = await broker({ prefetchCount: '2' });
    let running = 0;
    let most = 0;
    const releases: Array<() => void> = [];
    const box = inbox(async () => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running--;
    });
    await rabbit.subscribe({ topic, consumerGroup: group, metadata: {} }, box.handler);
    await rabbit.bulkPublish!(['a', 'b', 'c', 'd', 'e'].map((t) => message(topic, t)));
    await until('two handlers running', () => running === 2);
    await sleep(200);
    expect(box.seen).toHaveLength(2);
    while (box.seen.length < 5 || running > 0) {
      releases.shift()?.();
      await sleep(5);
    }
    expect(most).toBe(2);
    expect(box.texts().sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('handles one message at a time, in order, with concurrencyMode single', async () => {
    const { topic, group } = names('single');
    const rabbit = await broker({ concurrencyMode: 'single' });
    let running = 0;
    let most = 0;
    const box = inbox(async () => {
      running++;
      most = Math.max(most, running);
      await sleep(5);
      running--;
    });
    await rabbit.subscribe({ topic, consumerGroup: group, metadata: {} }, box.handler);
    const sent = Array.from({ length: 10 }, (_, n) => String(n));
    await rabbit.bulkPublish!(sent.map((t) => message(topic, t)));
    await until('ten deliveries', () => box.seen.length === 10);
    expect(box.texts()).toEqual(sent);
    expect(most).toBe(1);
  });

  it('routes by routing key with a topic exchange', async () => {
    const { topic, group } = names('routing');
    const rabbit = await broker({ exchangeKind: 'topic' });
    const box = inbox();
    await rabbit.subscribe({ topic, consumerGroup: group, metadata: { routingKey: 'eu.*,us.east' } }, box.handler);
    await rabbit.publish(message(topic, 'paris', { routingKey: 'eu.paris' }));
    await rabbit.publish(message(topic, 'tokyo', { routingKey: 'asia.tokyo' }));
    await rabbit.publish(message(topic, 'boston', { routingKey: 'us.east' }));
    await until('two deliveries', () => box.seen.length === 2);
    await sleep(200);
    expect(box.texts().sort()).toEqual(['boston', 'paris']);
  });

  it('bulk publishes with confirms and reports entries RabbitMQ refused', async () => {
    const { topic, group } = names('bulk');
    const rabbit = await broker();
    const box = inbox();
    await rabbit.subscribe({ topic, consumerGroup: group, metadata: {} }, box.handler);
    expect(await rabbit.bulkPublish!(['x', 'y', 'z'].map((t) => message(topic, t)))).toEqual([]);
    await until('three deliveries', () => box.seen.length === 3);

    // An exchange of another kind under the topic's name: RabbitMQ refuses to redeclare it.
    const clash = unique('clash');
    exchanges.add(clash);
    await onFreshChannel(admin, (channel) => channel.assertExchange(clash, 'direct', { durable: false }));
    const failures = await rabbit.bulkPublish!([message(clash, '1'), message(clash, '2')]);
    expect(failures.map((f) => f.index)).toEqual([0, 1]);
    expect(failures[0]!.error).toMatch(/PRECONDITION_FAILED.*inequivalent arg 'type'/);
    await expect(rabbit.publish(message(clash, '3'))).rejects.toThrow(/PRECONDITION_FAILED/);
    // The publisher carries on for other topics.
    await rabbit.publish(message(topic, 'after'));
    await until('the delivery after the refusal', () => box.seen.length === 4);
  });

  it('refuses a subscription whose queue exists with other arguments, or whose metadata is malformed', async () => {
    const { topic, group, queue } = names('refused');
    await onFreshChannel(admin, (channel) => channel.assertQueue(queue, { durable: false, autoDelete: false }));
    const rabbit = await broker();
    await expect(rabbit.subscribe({ topic, consumerGroup: group, metadata: {} }, async () => {})).rejects.toThrow(
      /^RabbitMQ refused the subscription: .*PRECONDITION_FAILED.*inequivalent arg 'durable'/,
    );
    await expect(rabbit.subscribe({ topic, consumerGroup: group, metadata: { queueType: 'stream' } }, async () => {})).rejects.toThrow(
      "subscription metadata 'queueType' must be classic or quorum (got 'stream')",
    );
    // The broker is still usable.
    await rabbit.ping!();
  });

  it('declares its queue again and keeps consuming when the queue is deleted under it', async () => {
    const { topic, group, queue } = names('deleted');
    const rabbit = await broker({ deletedWhenUnused: 'false' });
    const box = inbox();
    await rabbit.subscribe({ topic, consumerGroup: group, metadata: {} }, box.handler);
    await onFreshChannel(admin, (channel) => channel.deleteQueue(queue));
    await until('the queue to come back with its consumer', async () => (await queueInfo(queue))?.consumerCount === 1);
    await rabbit.publish(message(topic, 'after the deletion'));
    await until('the delivery', () => box.seen.length === 1);
  });

  it('uses a queueName from the subscription metadata instead of <group>-<topic>', async () => {
    const queueName = unique('named-queue');
    const { topic, group } = names('named', queueName);
    const rabbit = await broker();
    const box = inbox();
    await rabbit.subscribe({ topic, consumerGroup: group, metadata: { queueName } }, box.handler);
    expect(await queueInfo(queueName)).toMatchObject({ consumerCount: 1 });
    await rabbit.publish(message(topic, 'named'));
    await until('the delivery', () => box.seen.length === 1);
  });

  it('closes within its bound while a handler hangs, and refuses work once closed', async () => {
    const { topic, group } = names('close');
    const rabbit = await RabbitMqBroker.connect({
      target: connectionTarget({ connectionString: testRabbitMq }),
      drainTimeoutMs: 100,
    });
    let taken = 0;
    await rabbit.subscribe({ topic, consumerGroup: group, metadata: {} }, () => {
      taken++;
      return new Promise<void>(() => {});
    });
    await rabbit.publish(message(topic, 'hangs'));
    await until('the delivery', () => taken === 1);
    await rabbit.close();
    await expect(rabbit.publish(message(topic, 'late'))).rejects.toThrow('the RabbitMQ broker is closed');
    await expect(rabbit.subscribe({ topic, consumerGroup: group, metadata: {} }, async () => {})).rejects.toThrow('the RabbitMQ broker is closed');
    await expect(rabbit.ping()).rejects.toThrow('the RabbitMQ broker is closed');
  });

  it('keeps handling when many publishes race on one channel', async () => {
    const { topic, group } = names('race');
    const rabbit = await broker({ prefetchCount: '20' });
    const box = inbox();
    await rabbit.subscribe({ topic, consumerGroup: group, metadata: {} }, box.handler);
    const sent = Array.from({ length: 200 }, (_, n) => `m${n}`);
    await Promise.all(sent.map((t) => rabbit.publish(message(topic, t))));
    await until('200 deliveries', () => box.seen.length >= 200);
    expect(new Set(box.texts())).toEqual(new Set(sent));
  });
});
