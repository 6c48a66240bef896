import { holdService } from '@mecha/services/lock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from './backends/backends.ts';
import { brokerNamed, brokers, ctl, ensureRunning, requireBroker, volatileRedis } from './backends/brokers.ts';
import { deliveryRetries } from './backends/delivery-retries.ts';
import { waitForBrokerHealth } from './support/broker-health.ts';
import { readLedger, startLedgerApp, type LedgerAppOptions } from './support/ledger-app-process.ts';
import { freePort, startMechad, tempDir, waitFor, type MechadProcess } from './support/mechad-process.ts';

/**
 * The ways Dapr's own users have reported losing messages, each replayed through mechad on
 * every broker it applies to:
 * - the app answers RETRY for some messages and is then restarted: they come again after the
 *   restart (not acknowledged along the way);
 * - a subscriber fails every message, is redeployed (sidecar and app stopped and started
 *   again) and then succeeds: the failed messages are delivered, not skipped because the
 *   group's position moved to the newest message;
 * - Redis without persistence restarts and forgets its streams and consumer groups: the
 *   subscription recovers by itself, without restarting mechad, and the sidecar reports the
 *   broker down while it is.
 * The sidecar retries a failed delivery twice, 100 ms apart (Dapr's Resiliency resource), then
 * hands the message back to the broker, so each case goes through the broker's redelivery.
 */
type Stoppable = { stop(signal?: NodeJS.Signals): Promise<unknown> };

async function publish(sidecar: MechadProcess, topic: string, id: string): Promise<void> {
  await waitFor(
    async () => {
      const response = await fetch(`${sidecar.url}/v1.0/publish/pubsub/${topic}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id }),
      });
      if (response.status !== 204) throw new Error(`publish answered ${response.status}: ${await response.text()}`);
      return true;
    },
    `the publish of ${id}`,
    30_000,
  );
}

function attemptsOf(dir: string, id: string): number {
  return readLedger(dir).attempts.filter((a) => a.id === id).length;
}

function deliveredAll(dir: string, ids: readonly string[]): true | undefined {
  const delivered = new Set(readLedger(dir).delivered);
  return ids.every((id) => delivered.has(id)) ? true : undefined;
}

function missingFrom(dir: string, ids: readonly string[]): string[] {
  const delivered = new Set(readLedger(dir).delivered);
  return ids.filter((id) => !delivered.has(id));
}

/** One app behind its own sidecar, subscribed to `topic` on pub/sub `pubsub`. */
class Subscriber {
  readonly appId: string;
  readonly dir = tempDir('mecha-ledger-');
  readonly #topic: string;
  readonly #resources: Record<string, string>;
  readonly #started: Stoppable[];
  #appPort = 0;
  app: Stoppable | undefined;
  sidecar: MechadProcess | undefined;

  constructor(appId: string, topic: string, componentYaml: string, started: Stoppable[]) {
    this.appId = appId;
    this.#topic = topic;
    this.#resources = { 'pubsub.yaml': componentYaml, 'resiliency.yaml': deliveryRetries('pubsub') };
    this.#started = started;
  }

  async startApp(options: Pick<LedgerAppOptions, 'mode' | 'retry'> = {}): Promise<void> {
    this.#appPort ||= await freePort();
    this.app = await startLedgerApp({
      port: this.#appPort,
      dir: this.dir,
      subscriptions: [{ pubsubname: 'pubsub', topic: this.#topic, route: '/events' }],
      ...options,
    });
    this.#started.push(this.app);
  }

  async startSidecar(): Promise<MechadProcess> {
    this.sidecar = await startMechad({ appId: this.appId, appPort: this.#appPort, resources: this.#resources, waitFor: 'ready' });
    this.#started.push(this.sidecar);
    expect(this.sidecar.output()).not.toContain('subscription failed');
    return this.sidecar;
  }
}

for (const broker of brokers) {
  describe(`reported failures on ${broker.name}`, () => {
    const started: Stoppable[] = [];
    afterAll(async () => {
      await Promise.all(started.map((p) => p.stop('SIGKILL')));
    });

    it('delivers messages the app answered RETRY for once the app is restarted', async () => {
      await requireBroker(broker.main);
      const run = runId();
      const topic = `retry-${run}`;
      const subscriber = new Subscriber(`retry-sub-${run}`, topic, broker.componentYaml(broker.main), started);
      const ids = Array.from({ length: 12 }, (_, i) => `${run}-${i}`);
      const retried = [ids[2]!, ids[5]!, ids[9]!];
      await subscriber.startApp({ retry: retried });
      await subscriber.startSidecar();
      for (const id of ids) await publish(subscriber.sidecar!, topic, id);

      // Each RETRY answer goes through the sidecar's two retries, then back to the broker,
      // which delivers it again: a fourth attempt proves the broker kept it.
      const first = retried[0]!;
      await waitFor(() => (attemptsOf(subscriber.dir, first) >= 4 ? true : undefined), `a fourth delivery of ${first}, which the app answers RETRY for`, 60_000);
      expect(readLedger(subscriber.dir).delivered).not.toContain(first);

      await subscriber.app!.stop('SIGKILL');
      await subscriber.startApp();
      await waitFor(() => deliveredAll(subscriber.dir, ids), 'every message after the app restarted', 60_000).catch((error: Error) => {
        throw new Error(`${error.message}; missing: ${missingFrom(subscriber.dir, ids).join(', ')}`);
      });
      expect(readLedger(subscriber.dir).attempts.filter((a) => a.status === 'RETRY').map((a) => a.id)).toContain(first);
    });

    it('delivers the messages a subscriber failed after it is redeployed, not skipping to the newest', async () => {
      await requireBroker(broker.main);
      const run = runId();
      const topic = `redeploy-${run}`;
      const subscriber = new Subscriber(`redeploy-sub-${run}`, topic, broker.componentYaml(broker.main), started);
      const failed = Array.from({ length: 8 }, (_, i) => `${run}-failed-${i}`);
      const whileAway = Array.from({ length: 4 }, (_, i) => `${run}-away-${i}`);
      await subscriber.startApp({ mode: 'fail-all' });
      const firstSidecar = await subscriber.startSidecar();
      // The group's very first messages all fail: it has never acknowledged (committed) anything.
      for (const id of failed) await publish(firstSidecar, topic, id);
      await waitFor(() => (readLedger(subscriber.dir).attempts.length >= 12 ? true : undefined), 'a dozen failed deliveries', 60_000);
      expect(readLedger(subscriber.dir).delivered).toEqual([]);

      // Redeploy: sidecar and app stop (cleanly, as a rollout stops them); messages keep coming meanwhile.
      await firstSidecar.stop('SIGTERM');
      await subscriber.app!.stop('SIGTERM');
      const publisher = await startMechad({ appId: `redeploy-pub-${run}`, resources: { 'pubsub.yaml': broker.componentYaml(broker.main) } });
      started.push(publisher);
      for (const id of whileAway) await publish(publisher, topic, id);

      await subscriber.startApp();
      await subscriber.startSidecar();
      const expected = [...failed, ...whileAway];
      await waitFor(() => deliveredAll(subscriber.dir, expected), 'every failed message after the redeploy', 60_000).catch((error: Error) => {
        throw new Error(`${error.message}; missing: ${missingFrom(subscriber.dir, expected).join(', ')}`);
      });
    });
  });
}

describe('Redis without persistence restarts and forgets its streams and consumer groups', () => {
  const started: Stoppable[] = [];
  let releaseService = () => {};
  // The component's own suite restarts redis-volatile too: take turns.
  beforeAll(async () => {
    releaseService = await holdService(volatileRedis.service);
  }, 15 * 60_000);
  afterAll(async () => {
    try {
      await Promise.all(started.map((p) => p.stop('SIGKILL')));
      await ensureRunning(volatileRedis.service);
    } finally {
      releaseService();
    }
  }, 320_000);

  it('recovers the subscription without restarting mechad and reports the broker DOWN while it is, UP after', async () => {
    await requireBroker(volatileRedis);
    const redis = brokerNamed('redis');
    const run = runId();
    const topic = `volatile-${run}`;
    const subscriber = new Subscriber(`volatile-sub-${run}`, topic, redis.componentYaml(volatileRedis), started);
    await subscriber.startApp();
    const sidecar = await subscriber.startSidecar();
    const pid = sidecar.process.pid;
    const before = Array.from({ length: 5 }, (_, i) => `${run}-before-${i}`);
    for (const id of before) await publish(sidecar, topic, id);
    await waitFor(() => deliveredAll(subscriber.dir, before), 'the messages before the restart');

    await ctl('stop', volatileRedis.service);
    try {
      const down = await waitForBrokerHealth(sidecar.url, 'pubsub', 'DOWN');
      expect(down.outbound.message).toContain('pubsub:');
    } finally {
      await ctl('start', volatileRedis.service);
    }
    await waitForBrokerHealth(sidecar.url, 'pubsub', 'UP');

    // The restarted Redis has no stream and no group: the subscription must make them again.
    const after = Array.from({ length: 5 }, (_, i) => `${run}-after-${i}`);
    for (const id of after) await publish(sidecar, topic, id);
    await waitFor(() => deliveredAll(subscriber.dir, after), 'the messages published after the restart, without restarting mechad', 60_000).catch((error: Error) => {
      throw new Error(`${error.message}; missing: ${missingFrom(subscriber.dir, after).join(', ')}\n--- mechad output ---\n${sidecar.output().slice(-3000)}`);
    });
    expect(sidecar.process.pid).toBe(pid);
    expect(sidecar.process.exitCode).toBeNull();
  });
});

