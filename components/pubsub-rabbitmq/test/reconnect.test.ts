import type { BrokerMessage, PubSubBroker } from '@mecha/pubsub';
import type { ChannelModel } from 'amqplib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RabbitMqBroker, connectionTarget, type RabbitMqBrokerOptions } from '../src/index.ts';
import { TcpProxy } from './fixtures/tcp-proxy.ts';
import { adminConnection, cleanUp, createBroker, message, sleep, testRabbitMq, text, unique, until } from './fixtures/test-rabbitmq.ts';

/**
 * The component's connection runs through a proxy the test can cut, so only its own
 * connections drop; a second, direct broker plays the other apps.
 */
describe('pubsub.rabbitmq when the connection is cut', () => {
  const upstream = new URL(testRabbitMq);
  let admin: ChannelModel;
  let proxy: TcpProxy;
  let proxied: string;
  const brokers: PubSubBroker[] = [];
  const queues = new Set<string>();
  const exchanges = new Set<string>();

  beforeAll(async () => {
    admin = await adminConnection();
    proxy = await TcpProxy.start(upstream.hostname, Number(upstream.port || 5672));
    const through = new URL(testRabbitMq);
    through.hostname = '127.0.0.1';
    through.port = String(proxy.port);
    proxied = through.toString();
  });
  afterEach(async () => {
    proxy.resume();
    await Promise.allSettled(brokers.splice(0).map((broker) => broker.close()));
  });
  afterAll(async () => {
    await proxy.close();
    await cleanUp(admin, queues, exchanges);
    await admin.close();
  });

  function names(label: string) {
    const topic = unique(label);
    const group = unique(`${label}-group`);
    queues.add(`${group}-${topic}`);
    exchanges.add(topic);
    return { topic, group };
  }

  async function viaProxy(options: Partial<RabbitMqBrokerOptions> = {}): Promise<RabbitMqBroker> {
    const broker = await RabbitMqBroker.connect({
      target: connectionTarget({ connectionString: proxied }),
      clientName: 'mecha-rmq-test-proxied',
      reconnectWaitMs: 100,
      deleteWhenUnused: false,
      drainTimeoutMs: 200,
      ...options,
    });
    brokers.push(broker);
    return broker;
  }

  async function direct(): Promise<PubSubBroker> {
    const broker = await createBroker({ connectionString: testRabbitMq, deletedWhenUnused: 'false', clientName: 'mecha-rmq-test-direct' });
    brokers.push(broker);
    return broker;
  }

  it('re-establishes its subscription by itself; ping and publish fail clearly (and fast) while the broker is unreachable', async () => {
    const { topic, group } = names('cut');
    const rabbit = await viaProxy();
    const other = await direct();
    const seen: string[] = [];
    await rabbit.subscribe({ topic, consumerGroup: group, metadata: {} }, async (m) => void seen.push(text(m)));
    await rabbit.ping();
    await other.publish(message(topic, 'before'));
    await until('the first delivery', () => seen.length === 1);

    proxy.cut();
    await until('ping to report the outage', () => rabbit.ping().then(() => false, () => true));
    const display = `amqp://127.0.0.1:${proxy.port}`;
    await expect(rabbit.ping()).rejects.toThrow(`RabbitMQ at ${display} is unreachable`);
    await expect(rabbit.publish(message(topic, 'lost cause'))).rejects.toThrow(
      new RegExp(`^RabbitMQ at ${display.replace(/[/.]/g, '\\$&')} is unreachable: .* \\(reconnecting every 100 ms\\)$`),
    );
    expect((await rabbit.bulkPublish!([message(topic, 'a'), message(topic, 'b')])).map((f) => f.index)).toEqual([0, 1]);
    // Other apps keep publishing; the group's queue keeps the messages.
    await other.publish(message(topic, 'during'));

    proxy.resume();
    await until('ping to recover', () => rabbit.ping().then(() => true, () => false));
    await until('the message published during the outage', () => seen.includes('during'));
    await rabbit.publish(message(topic, 'after'));
    await until('a delivery after reconnecting', () => seen.includes('after'));
    // The cut may come before the ack of 'before' left the socket; at-least-once then gives it
    // again (once), and nothing else may repeat or go missing.
    const firstSeen = seen.filter((m, i) => seen.indexOf(m) === i);
    expect(firstSeen).toEqual(['before', 'during', 'after']);
    expect(seen.filter((m) => m !== 'before')).toEqual(['during', 'after']);
    expect(seen.filter((m) => m === 'before').length).toBeLessThanOrEqual(2);
  });

  it('redelivers a message that was being handled when the connection dropped', async () => {
    const { topic, group } = names('in-flight');
    const rabbit = await viaProxy();
    const other = await direct();
    const seen: string[] = [];
    let release: () => void = () => {};
    await rabbit.subscribe({ topic, consumerGroup: group, metadata: {} }, (m: BrokerMessage) => {
      seen.push(text(m));
      // The first attempt outlives its connection; its late ack goes nowhere.
      if (seen.length === 1) return new Promise<void>((resolve) => (release = resolve));
      return Promise.resolve();
    });
    await other.publish(message(topic, 'fragile'));
    await until('the first attempt', () => seen.length === 1);
    proxy.cut();
    await until('ping to report the outage', () => rabbit.ping().then(() => false, () => true));
    release();
    proxy.resume();
    await until('the redelivery', () => seen.length === 2);
    expect(seen).toEqual(['fragile', 'fragile']);
  });

  it('fails a publish whose confirm the lost connection took with it', async () => {
    const { topic } = names('unconfirmed');
    const rabbit = await viaProxy();
    await rabbit.publish(message(topic, 'warm-up'));
    const publishing = rabbit.publish(message(topic, 'cut short'));
    proxy.cut();
    await expect(publishing).rejects.toThrow(/RabbitMQ/);
  });

  it('subscribe waits for RabbitMQ to come back, within its bound', async () => {
    const { topic, group } = names('late-subscribe');
    const rabbit = await viaProxy({ subscribeTimeoutMs: 20_000 });
    const impatient = await viaProxy({ subscribeTimeoutMs: 300 });
    proxy.cut();
    const down = (broker: RabbitMqBroker) => broker.ping().then(() => false, () => true);
    await until('the outage to be noticed', async () => (await down(rabbit)) && (await down(impatient)));
    await expect(impatient.subscribe({ topic, consumerGroup: group, metadata: {} }, async () => {})).rejects.toThrow(
      `cannot subscribe to RabbitMQ at amqp://127.0.0.1:${proxy.port}: RabbitMQ at amqp://127.0.0.1:${proxy.port} is unreachable`,
    );
    const seen: string[] = [];
    let subscribed = false;
    const subscribing = rabbit.subscribe({ topic, consumerGroup: group, metadata: {} }, async (m) => void seen.push(text(m)));
    void subscribing.then(() => (subscribed = true));
    await sleep(300);
    expect(subscribed).toBe(false);
    proxy.resume();
    await subscribing;
    await (await direct()).publish(message(topic, 'welcome back'));
    await until('the delivery', () => seen.length === 1);
  });

  it('survives repeated cuts without duplicating its consumer', async () => {
    const { topic, group } = names('flapping');
    const rabbit = await viaProxy();
    const other = await direct();
    const seen: string[] = [];
    await rabbit.subscribe({ topic, consumerGroup: group, metadata: {} }, async (m) => void seen.push(text(m)));
    for (let round = 0; round < 3; round++) {
      proxy.cut();
      await sleep(30);
      proxy.resume();
      await until('ping to recover', () => rabbit.ping().then(() => true, () => false));
    }
    const queue = `${group}-${topic}`;
    await until('one consumer on the queue', async () => {
      const channel = await admin.createChannel();
      try {
        return (await channel.checkQueue(queue)).consumerCount === 1;
      } finally {
        await channel.close();
      }
    });
    for (const n of ['1', '2', '3', '4']) await other.publish(message(topic, n));
    await until('four deliveries', () => seen.length >= 4);
    await sleep(200);
    expect(seen.sort()).toEqual(['1', '2', '3', '4']);
  });
});
