import { randomUUID } from 'node:crypto';
import type { BrokerMessage, BrokerSubscription } from '@mecha/pubsub';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Mqtt3Broker, type Mqtt3BrokerOptions, type Mqtt3Subscription } from '../src/index.ts';
import { ChildScript } from './child-process.ts';
import { MQTT_URL, discardSession, hostPort, rawClient, requireBroker } from './mqtt-server.ts';
import { recordingLogger } from './recording-logger.ts';
import { TcpProxy } from './tcp-proxy.ts';

const brokers: Mqtt3Broker[] = [];
const sessions = new Set<string>();

beforeAll(() => requireBroker(MQTT_URL, 'mosquitto'));

afterEach(async () => {
  await Promise.all(brokers.splice(0).map((broker) => broker.close()));
});

afterAll(async () => {
  // Subscriber sessions are persistent by design: remove the ones this run made.
  for (const clientId of sessions) await discardSession(MQTT_URL, clientId);
});

async function open(options: Partial<Mqtt3BrokerOptions> = {}): Promise<Mqtt3Broker> {
  const broker = await Mqtt3Broker.connect({ url: MQTT_URL, retryDelayMs: 10, drainTimeoutMs: 300, ...options });
  brokers.push(broker);
  return broker;
}

async function subscribe(
  broker: Mqtt3Broker,
  topic: string,
  group: string,
  handler: (message: BrokerMessage) => Promise<void>,
): Promise<Mqtt3Subscription> {
  const subscription = (await broker.subscribe({ topic, consumerGroup: group, metadata: {} }, handler)) as Mqtt3Subscription;
  sessions.add(subscription.clientId);
  return subscription;
}

function names(): { topic: string; group: string } {
  const id = randomUUID().slice(0, 8);
  return { topic: `mecha-test/mqtt3/${id}`, group: `g-${id}` };
}

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function text(message: BrokerMessage): string {
  return new TextDecoder().decode(message.data);
}

async function publish(broker: Mqtt3Broker, topic: string, ...texts: string[]): Promise<void> {
  for (const item of texts) await broker.publish({ topic, data: bytes(item), metadata: {} });
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function settles(promise: Promise<unknown>): Promise<boolean> {
  return promise.then(
    () => true,
    () => false,
  );
}

/** Records deliveries; `answer` decides per delivery (throw to reject). */
function inbox(answer: (message: BrokerMessage, seen: number) => Promise<void> | void = () => {}) {
  const seen: string[] = [];
  return {
    seen,
    handler: async (message: BrokerMessage) => {
      seen.push(text(message));
      await answer(message, seen.length);
    },
  };
}

describe('Mqtt3Broker (Mosquitto)', () => {
  it('acknowledges only after the handler resolved: a message whose handler never settled goes to the next subscriber', async () => {
    const { topic, group } = names();
    const first = await open();
    const stuck = inbox(() => new Promise(() => {}));
    const abandoned = await subscribe(first, topic, group, stuck.handler);
    await publish(first, topic, 'm1');
    await until('the first delivery', () => stuck.seen.length === 1);
    // Close gives the handler its drain time, then leaves the message unacknowledged.
    await abandoned.close();

    const second = await open();
    const healthy = inbox();
    const next = await subscribe(second, topic, group, healthy.handler);
    await until('the redelivery', () => healthy.seen.length === 1);
    expect(healthy.seen).toEqual(['m1']);
    expect(next.clientId).toBe(abandoned.clientId);
  });

  it('hands a rejected message to the handler again, withholding the PUBACK, until it succeeds', async () => {
    const { topic, group } = names();
    const broker = await open();
    const flaky = inbox((_message, seen) => {
      if (seen <= 2) throw new Error(`attempt ${seen} fails`);
    });
    const subscription = await subscribe(broker, topic, group, flaky.handler);
    await publish(broker, topic, 'm1');
    await until('three attempts', () => flaky.seen.length === 3);
    await subscription.close();

    // Acknowledged: a new connection of the same session gets the next message, not m1 again.
    const after = inbox();
    await subscribe(broker, topic, group, after.handler);
    await publish(broker, topic, 'marker');
    await until('the marker', () => after.seen.length >= 1);
    expect(after.seen[0]).toBe('marker');
    expect(flaky.seen).toEqual(['m1', 'm1', 'm1']);
  });

  it('gives a message back to the broker after backOffMaxRetries and receives it again on a new connection', async () => {
    const { topic, group } = names();
    const lines: Array<{ level: string; message: string }> = [];
    const broker = await open({ backOffMaxRetries: 1, reconnectPeriodMs: 50, logger: recordingLogger(lines) });
    const flaky = inbox((_message, seen) => {
      if (seen <= 3) throw new Error(`attempt ${seen} fails`);
    });
    await subscribe(broker, topic, group, flaky.handler);
    await publish(broker, topic, 'm1');
    await until('four attempts', () => flaky.seen.length === 4);
    expect(flaky.seen).toEqual(['m1', 'm1', 'm1', 'm1']);
    expect(lines.filter((line) => line.message.includes('back to the MQTT broker'))).toHaveLength(1);
    await publish(broker, topic, 'marker');
    await until('the marker', () => flaky.seen.length === 5);
    expect(flaky.seen[4]).toBe('marker');
  });

  it('keeps what is published while the group has no subscriber, and delivers it when one comes back', async () => {
    const { topic, group } = names();
    const broker = await open();
    const before = inbox();
    const subscription = await subscribe(broker, topic, group, before.handler);
    await subscription.close();
    await publish(broker, topic, 'a', 'b', 'c');

    const later = await open();
    const after = inbox();
    await subscribe(later, topic, group, after.handler);
    await until('three deliveries', () => after.seen.length === 3);
    expect([...after.seen].sort()).toEqual(['a', 'b', 'c']);
    expect(before.seen).toEqual([]);
  });

  it("leaves the subscription on close when the subscription asks for it (Dapr's unsubscribeOnClose)", async () => {
    const { topic, group } = names();
    const broker = await open();
    const leaving = await broker.subscribe({ topic, consumerGroup: group, metadata: { unsubscribeOnClose: 'true' } }, async () => {});
    sessions.add((leaving as Mqtt3Subscription).clientId);
    await leaving.close();
    await publish(broker, topic, 'while away');

    const after = inbox();
    await subscribe(broker, topic, group, after.handler);
    await publish(broker, topic, 'marker');
    await until('the marker', () => after.seen.length >= 1);
    expect(after.seen[0]).toBe('marker');
  });

  it('shares a group between subscribers; one that leaves stops taking a share', async () => {
    const { topic, group } = names();
    const broker = await open();
    const a = inbox();
    const b = inbox();
    const first = await subscribe(broker, topic, group, a.handler);
    const second = await subscribe(broker, topic, group, b.handler);
    expect(first.clientId).not.toBe(second.clientId);
    await publish(broker, topic, ...Array.from({ length: 10 }, (_, i) => `x${i}`));
    await until('ten deliveries', () => a.seen.length + b.seen.length === 10);
    expect(a.seen.length).toBeGreaterThan(0);
    expect(b.seen.length).toBeGreaterThan(0);

    await second.close();
    await publish(broker, topic, ...Array.from({ length: 10 }, (_, i) => `y${i}`));
    await until('ten more deliveries to the one left', () => a.seen.filter((item) => item.startsWith('y')).length === 10);
    expect(b.seen.filter((item) => item.startsWith('y'))).toEqual([]);
  });

  it('redelivers what a leaving subscriber left unacknowledged to the next one that takes its place', async () => {
    const { topic, group } = names();
    const broker = await open();
    const steady = inbox();
    const stuck = inbox(() => new Promise(() => {}));
    await subscribe(broker, topic, group, steady.handler);
    const leaving = await subscribe(broker, topic, group, stuck.handler);
    await publish(broker, topic, 'p1', 'p2');
    await until('one message each', () => steady.seen.length === 1 && stuck.seen.length === 1);
    await leaving.close();

    const replacement = inbox();
    const next = await subscribe(broker, topic, group, replacement.handler);
    expect(next.clientId).toBe(leaving.clientId);
    await until('the redelivery', () => replacement.seen.length === 1);
    expect(replacement.seen).toEqual(stuck.seen);
  });

  it('gives every group every message, and each consumer of a wildcard subscription the real topic', async () => {
    const base = `mecha-test/mqtt3/${randomUUID().slice(0, 8)}`;
    const broker = await open();
    const topics: string[] = [];
    const one = inbox();
    const two = inbox((message) => void topics.push(message.topic));
    await subscribe(broker, `${base}/+/orders`, 'group-one', one.handler);
    await subscribe(broker, `${base}/+/orders`, 'group-two', two.handler);
    await publish(broker, `${base}/eu/orders`, 'eu');
    await publish(broker, `${base}/us/orders`, 'us');
    await publish(broker, `${base}/us/refunds`, 'not matched');
    await until('two deliveries per group', () => one.seen.length === 2 && two.seen.length === 2);
    expect([...one.seen].sort()).toEqual(['eu', 'us']);
    expect([...topics].sort()).toEqual([`${base}/eu/orders`, `${base}/us/orders`]);
  });

  it('reconnects by itself after the connection is cut; ping and publish report the outage, bounded', async () => {
    const { topic, group } = names();
    const proxy = new TcpProxy(hostPort(MQTT_URL));
    await proxy.start();
    try {
      const broker = await Mqtt3Broker.connect({ url: proxy.url, reconnectPeriodMs: 100, publishTimeoutMs: 300, drainTimeoutMs: 300 });
      brokers.push(broker);
      const received = inbox();
      await subscribe(broker, topic, group, received.handler);
      await publish(broker, topic, 'before');
      await until('the first message', () => received.seen.length === 1);
      await broker.ping();

      await proxy.stop();
      await until('ping to fail', async () => !(await settles(broker.ping())));
      await expect(broker.ping()).rejects.toThrow(/unreachable/);
      await expect(publish(broker, topic, 'lost')).rejects.toThrow(/not connected to the MQTT broker.*waited 300 ms/);
      // Published straight to Mosquitto: the subscriber's session keeps it while it is away.
      const direct = await rawClient(MQTT_URL);
      await direct.publishAsync(topic, 'during', { qos: 1 });
      await direct.endAsync();

      await proxy.start();
      await until('ping to succeed', () => settles(broker.ping()));
      await until('the message sent during the outage', () => received.seen.includes('during'));
      await publish(broker, topic, 'after');
      await until('the message sent after the outage', () => received.seen.includes('after'));
      expect(received.seen).toEqual(['before', 'during', 'after']);
    } finally {
      await proxy.stop();
    }
  });

  it('refuses a subscription while the broker is unreachable, and leaves nothing behind', async () => {
    const { topic, group } = names();
    const proxy = new TcpProxy(hostPort(MQTT_URL));
    await proxy.start();
    try {
      const broker = await Mqtt3Broker.connect({ url: proxy.url, reconnectPeriodMs: 50, connectTimeoutMs: 5000 });
      brokers.push(broker);
      await proxy.stop();
      await expect(broker.subscribe({ topic, consumerGroup: group, metadata: {} }, async () => {})).rejects.toThrow(
        /not connected to the MQTT broker: .*ECONNREFUSED/,
      );
      await proxy.start();
      const received = inbox();
      const subscription = await subscribe(broker, topic, group, received.handler);
      // The failed attempt released its slot.
      expect(subscription.clientId).toMatch(/-0$/);
      await publish(broker, topic, 'works');
      await until('the delivery', () => received.seen.length === 1);
    } finally {
      await proxy.stop();
    }
  });

  it('acknowledges a message whose handling spanned a reconnect on the new connection, without handling it twice', async () => {
    const { topic, group } = names();
    const proxy = new TcpProxy(hostPort(MQTT_URL));
    await proxy.start();
    try {
      const broker = await Mqtt3Broker.connect({ url: proxy.url, reconnectPeriodMs: 50, drainTimeoutMs: 300 });
      brokers.push(broker);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const slow = inbox((message) => (text(message) === 'slow' ? released : undefined));
      const subscription = await subscribe(broker, topic, group, slow.handler);
      await publish(broker, topic, 'slow');
      await until('the slow message', () => slow.seen.length === 1);
      await proxy.stop();
      await until('the connection to drop', () => !subscription.connected);
      await proxy.start();
      await until('the reconnection', () => subscription.connected);
      release();
      await publish(broker, topic, 'marker');
      await until('the marker', () => slow.seen.includes('marker'));
      expect(slow.seen).toEqual(['slow', 'marker']);
      await subscription.close();

      // Nothing left unacknowledged in the session.
      const after = inbox();
      await subscribe(broker, topic, group, after.handler);
      await publish(broker, topic, 'marker 2');
      await until('the second marker', () => after.seen.length >= 1);
      expect(after.seen[0]).toBe('marker 2');
    } finally {
      await proxy.stop();
    }
  });

  it('with cleanSession, subscribes again after a reconnect (the broker forgot the session)', async () => {
    const { topic, group } = names();
    const proxy = new TcpProxy(hostPort(MQTT_URL));
    await proxy.start();
    try {
      const broker = await Mqtt3Broker.connect({ url: proxy.url, cleanSession: true, reconnectPeriodMs: 50 });
      brokers.push(broker);
      const received = inbox();
      const subscription = await subscribe(broker, topic, group, received.handler);
      await proxy.stop();
      await until('the connection to drop', () => !subscription.connected);
      await proxy.start();
      await until('the reconnection', () => subscription.connected);
      // The SUBSCRIBE is sent right after the CONNACK; publish until one arrives.
      await until('a delivery after the reconnection', async () => {
        await publish(broker, topic, 'again');
        await new Promise((resolve) => setTimeout(resolve, 20));
        return received.seen.length > 0;
      });
    } finally {
      await proxy.stop();
    }
  });

  it('leaves a message a killed process was handling to the next process on this host', async () => {
    const { topic, group } = names();
    const child = new ChildScript('stuck-subscriber.ts', [MQTT_URL, topic, group]);
    try {
      await child.waitForLine((line) => line === 'subscribed');
      const broker = await open();
      await publish(broker, topic, 'in flight');
      await child.waitForLine((line) => line === 'got in flight');
      await child.kill();

      const received = inbox();
      const subscription = await subscribe(broker, topic, group, received.handler);
      expect(subscription.clientId).toMatch(/-0$/);
      await until('the redelivery', () => received.seen.length === 1);
      expect(received.seen).toEqual(['in flight']);
    } finally {
      await child.kill();
    }
  });

  it('publishes with the retain flag when asked, and marks deliveries as retained or not', async () => {
    const { topic, group } = names();
    const broker = await open();
    const live = inbox();
    const flags: string[] = [];
    await subscribe(broker, topic, group, async (message) => {
      flags.push(message.metadata['retained'] ?? '');
      await live.handler(message);
    });
    await broker.publish({ topic, data: bytes('kept'), metadata: { retain: 'true' } });
    await until('the live delivery', () => live.seen.length === 1);
    expect(flags).toEqual(['false']);

    const late = await rawClient(MQTT_URL);
    try {
      const retained = new Promise<{ payload: string; retain: boolean }>((resolve) =>
        late.once('message', (_topic, payload, packet) => resolve({ payload: payload.toString(), retain: packet.retain })),
      );
      await late.subscribeAsync(topic, { qos: 1 });
      expect(await retained).toEqual({ payload: 'kept', retain: true });
      await late.publishAsync(topic, '', { qos: 1, retain: true });
    } finally {
      await late.endAsync();
    }
    await expect(broker.publish({ topic, data: bytes('x'), metadata: { retain: 'maybe' } })).rejects.toThrow(/retain/);
  });

  it('delivers at QoS 0 when asked to, without acknowledgements', async () => {
    const { topic, group } = names();
    const broker = await open({ qos: 0 });
    const received = inbox();
    await subscribe(broker, topic, group, received.handler);
    await publish(broker, topic, 'q0');
    await until('the delivery', () => received.seen.length === 1);
    expect(received.seen).toEqual(['q0']);
  });

  it('refuses topic names MQTT does not allow, and works after closing only to refuse', async () => {
    const broker = await open();
    await expect(publish(broker, 'a/+/b', 'x')).rejects.toThrow(/may not contain \+, #/);
    await expect(publish(broker, '', 'x')).rejects.toThrow(/empty/);
    await expect(broker.subscribe({ topic: 'a/b#', consumerGroup: 'g', metadata: {} }, async () => {})).rejects.toThrow(/# must be a whole last level/);
    await expect(broker.subscribe({ topic: 'a/b+/c', consumerGroup: 'g', metadata: {} }, async () => {})).rejects.toThrow(/\+ must be a whole level/);
    await broker.close();
    await expect(publish(broker, 'a/b', 'x')).rejects.toThrow(/closed/);
    await expect(broker.ping()).rejects.toThrow(/closed/);
    await expect(broker.subscribe({ topic: 'a/b', consumerGroup: 'g', metadata: {} }, async () => {})).rejects.toThrow(/closed/);
  });

  it('closes a subscription whose handler never settles within its drain time', async () => {
    const { topic, group } = names();
    const broker = await open({ drainTimeoutMs: 200 });
    const stuck = inbox(() => new Promise(() => {}));
    const subscription: BrokerSubscription = await subscribe(broker, topic, group, stuck.handler);
    await publish(broker, topic, 'forever');
    await until('the delivery', () => stuck.seen.length === 1);
    await subscription.close();
    await broker.close();
    expect(stuck.seen).toEqual(['forever']);
  });
});
