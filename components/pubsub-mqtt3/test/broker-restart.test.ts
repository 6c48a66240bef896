import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { BrokerMessage } from '@mecha/pubsub';
import { holdService } from '@mecha/services/lock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mqtt3Broker, type Mqtt3Subscription } from '../src/index.ts';
import { MQTT_FAILURE_URL, discardSession, hostPort, mosquittoVersion, requireBroker } from './mqtt-server.ts';
import { TcpProxy } from './tcp-proxy.ts';

// This file stops and starts mosquitto-failure, which other suites restart too: take turns.
let releaseService: () => void = () => {};
beforeAll(async () => {
  releaseService = await holdService('mosquitto-failure');
}, 15 * 60_000);
afterAll(() => releaseService());

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Stops or starts the private Mosquitto nothing else uses (its sessions persist on a clean stop). */
function ctl(action: 'stop' | 'start'): void {
  execFileSync('bash', ['tooling/services/ctl.sh', action, 'mosquitto-failure'], { cwd: repoRoot, stdio: 'pipe' });
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const text = (message: BrokerMessage) => new TextDecoder().decode(message.data);

describe('Mqtt3Broker across a Mosquitto restart', () => {
  const sessions: string[] = [];
  let broker: Mqtt3Broker | undefined;

  beforeAll(() => requireBroker(MQTT_FAILURE_URL, 'mosquitto-failure'));

  afterAll(async () => {
    await broker?.close();
    ctl('start');
    for (const clientId of sessions) await discardSession(MQTT_FAILURE_URL, clientId);
  });

  it('reports the broker down while it is, then resumes its subscriptions and the sessions the broker kept', async () => {
    const id = randomUUID().slice(0, 8);
    const topic = `mecha-test/mqtt3-restart/${id}`;
    broker = await Mqtt3Broker.connect({ url: MQTT_FAILURE_URL, reconnectPeriodMs: 100, publishTimeoutMs: 500, drainTimeoutMs: 300 });
    const live: string[] = [];
    const subscribe = async (group: string, seen: string[]) => {
      const subscription = (await broker!.subscribe({ topic, consumerGroup: group, metadata: {} }, async (message) => {
        seen.push(text(message));
      })) as Mqtt3Subscription;
      sessions.push(subscription.clientId);
      return subscription;
    };
    const liveSubscription = await subscribe(`live-${id}`, live);
    // A group whose only subscriber is away: its session on the broker holds its messages.
    const parked = await subscribe(`parked-${id}`, []);
    await parked.close();
    await broker.publish({ topic, data: new TextEncoder().encode('m1'), metadata: {} });
    await until('m1', () => live.length === 1);

    ctl('stop');
    await until('ping to fail', () => broker!.ping().then(() => false, () => true));
    await expect(broker.ping()).rejects.toThrow(/unreachable/);
    await expect(broker.publish({ topic, data: new TextEncoder().encode('lost'), metadata: {} })).rejects.toThrow(/not connected/);

    ctl('start');
    await until('ping to succeed', () => broker!.ping().then(() => true, () => false));
    // Mosquitto before 2.0.19 forgets shared subscriptions on a restart (it keeps the
    // sessions and their queued messages): the subscription makes it again by itself.
    await until('the live subscription to be made again', () => liveSubscription.subscribed);
    await broker.publish({ topic, data: new TextEncoder().encode('m2'), metadata: {} });
    await until('m2 on the live subscription', () => live.includes('m2'));
    expect(live).toEqual(['m1', 'm2']);

    const back: string[] = [];
    await subscribe(`parked-${id}`, back);
    await broker.publish({ topic, data: new TextEncoder().encode('marker'), metadata: {} });
    await until('the marker for the group that was away', () => back.includes('marker'));
    // What was queued before the restart survives it. What was published after it reaches the
    // absent group only where the broker kept its shared subscription (Mosquitto 2.0.19+).
    const version = await mosquittoVersion(MQTT_FAILURE_URL);
    const keepsSharedSubscriptions = version !== undefined && version[0] * 1e6 + version[1] * 1e3 + version[2] >= 2_000_019;
    expect(back).toEqual(keepsSharedSubscriptions ? ['m1', 'm2', 'marker'] : ['m1', 'marker']);
  });
});

describe('Mqtt3Broker publishing while Mosquitto restarts', () => {
  const sessions: string[] = [];
  const proxies: TcpProxy[] = [];
  const components: Mqtt3Broker[] = [];

  beforeAll(() => requireBroker(MQTT_FAILURE_URL, 'mosquitto-failure'));

  afterAll(async () => {
    await Promise.allSettled(components.map((component) => component.close()));
    await Promise.allSettled(proxies.map((proxy) => proxy.stop()));
    ctl('start');
    for (const clientId of sessions) await discardSession(MQTT_FAILURE_URL, clientId);
  });

  it('fails the publishes the broker had not acknowledged when it went away, rather than sending them again before subscribers are back', async () => {
    const id = randomUUID().slice(0, 8);
    const topic = `mecha-test/mqtt3-in-flight/${id}`;
    // Each side reaches Mosquitto through a proxy of its own: the test holds back what the
    // publisher sends, and keeps the subscriber away for a while after the restart.
    const publisherPath = new TcpProxy(hostPort(MQTT_FAILURE_URL));
    const subscriberPath = new TcpProxy(hostPort(MQTT_FAILURE_URL));
    proxies.push(publisherPath, subscriberPath);
    await publisherPath.start();
    await subscriberPath.start();
    // Two components, as in a publishing and a subscribing sidecar.
    const publisherSide = await Mqtt3Broker.connect({ url: publisherPath.url, reconnectPeriodMs: 100, publishTimeoutMs: 20_000, drainTimeoutMs: 300 });
    const subscriberSide = await Mqtt3Broker.connect({ url: subscriberPath.url, reconnectPeriodMs: 100, drainTimeoutMs: 300 });
    components.push(publisherSide, subscriberSide);
    const received = new Set<string>();
    const subscription = (await subscriberSide.subscribe({ topic, consumerGroup: `in-flight-${id}`, metadata: {} }, async (message) => {
      received.add(text(message));
    })) as Mqtt3Subscription;
    sessions.push(subscription.clientId);
    const publish = (body: string) => publisherSide.publish({ topic, data: new TextEncoder().encode(body), metadata: {} });
    await publish('before');
    await until('the first message', () => received.has('before'));

    // Five publishes are on their way when the broker goes away; it never received them.
    publisherPath.holdToBroker();
    const inFlight = ['f1', 'f2', 'f3', 'f4', 'f5'];
    const outcomes = inFlight.map((body) => publish(body).then(() => 'acknowledged', (error: Error) => error.message));
    // PUBLISH at QoS 1: fixed header (2 bytes here), topic length (2), topic, packet id (2), payload.
    const publishBytes = 2 + 2 + Buffer.byteLength(topic) + 2 + 2;
    await until('the five publishes to be sent', () => publisherPath.heldBytes >= inFlight.length * publishBytes);
    await subscriberPath.stop();
    ctl('stop');
    await until('the publisher to see the broker gone', () => publisherSide.ping().then(() => false, () => true));
    ctl('start');

    // Had mqtt.js sent them again on reconnecting, Mosquitto (before 2.0.19, which forgets
    // shared subscriptions on a restart) would have acknowledged them and delivered them to
    // nobody: the subscriber is not back yet.
    const settled = await Promise.all(outcomes);
    expect(settled).toEqual(inFlight.map(() => expect.stringMatching(/lost before it acknowledged the message/)));

    await subscriberPath.start();
    await until('the subscription to be made again', () => subscription.subscribed);
    // The caller publishes again what failed (mechad answered it with an error).
    for (const body of [...inFlight, 'after']) await publish(body);
    await until('every message', () => [...inFlight, 'after'].every((body) => received.has(body)));
    expect([...received].sort()).toEqual(['after', 'before', ...inFlight].sort());
  });
});
