import { holdService } from '@mecha/services/lock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokers, ensureRunning, ctl, requireBroker } from './backends/brokers.ts';
import { deliveryRetries } from './backends/delivery-retries.ts';
import { runId } from './backends/backends.ts';
import { waitForBrokerHealth } from './support/broker-health.ts';
import { compareLedger, readLedger, startLedgerApp, type LedgerApp } from './support/ledger-app-process.ts';
import { freePort, startMechad, tempDir, waitFor, type MechadProcess } from './support/mechad-process.ts';
import { PublishLoop } from './support/publish-loop.ts';

/**
 * No message lost, for each broker: 10,000 messages published through one mechad (which stays
 * up) to an app behind another mechad while, one after the other and overlapping the
 * publishing, (a) the app is killed with SIGKILL and started again, (b) the app's mechad is
 * killed with SIGKILL and started again (same app id, so the same consumer group), (c) the
 * broker is stopped and started (`ctl.sh`, on the broker's failure instance, which the suites
 * sharing the main servers never touch, held exclusively for the run). A publish that fails while the broker is down is
 * tried again until mechad acknowledges it; every acknowledged message must reach the app at
 * least once. The app writes each id it answered SUCCESS for to a ledger before answering, so
 * killing it loses no acknowledged delivery. Duplicates are allowed (at-least-once) and
 * reported, on the console and as an annotation of the test.
 *
 * While the broker is down, both sidecars must report it: `/v1.0/healthz/outbound` 500
 * naming the pub/sub and metadata `health.status: DOWN`; UP again once it is back.
 */
const total = 10_000;
const inFlight = 48;

/** Acknowledged publishes at which each disruption starts, spread over the run. */
const killAppAt = 1500;
const restartAppAt = 2500;
const killSidecarAt = 4000;
const stopBrokerAt = 6000;
/** Publishing waits here until the broker is back, so the last disruption overlaps it however fast the run. */
const holdUntilBrokerBack = 8000;

for (const broker of brokers) {
  describe(`no message lost on ${broker.name} (${broker.failure.service})`, () => {
    const run = runId();
    const topic = `noloss-${run}`;
    const started: { stop(signal?: NodeJS.Signals): Promise<unknown> }[] = [];
    let loop: PublishLoop | undefined;
    let releaseService = () => {};

    // Other suites (the components' own) restart the same failure instance: take turns.
    beforeAll(async () => {
      releaseService = await holdService(broker.failure.service);
    }, 15 * 60_000);

    afterAll(async () => {
      try {
        await loop?.stop();
        await Promise.all(started.map((p) => p.stop('SIGKILL')));
        // Whatever happened, leave the broker up for the next suite.
        await ensureRunning(broker.failure.service);
      } finally {
        releaseService();
      }
    }, 320_000);

    it(`delivers all ${total} acknowledged messages at least once while the app, its sidecar and the broker are restarted`, async (context) => {
      await requireBroker(broker.failure);
      const ledgerDir = tempDir('mecha-ledger-');
      const appPort = await freePort();
      const resources = {
        'pubsub.yaml': broker.componentYaml(broker.failure, { recovery: true }),
        'resiliency.yaml': deliveryRetries('pubsub'),
      };
      const subscriberId = `noloss-sub-${run}`;
      const startApp = async () => {
        const app = await startLedgerApp({ port: appPort, dir: ledgerDir, subscriptions: [{ pubsubname: 'pubsub', topic, route: '/events' }] });
        started.push(app);
        return app;
      };
      const startSubscriber = async () => {
        const sidecar = await startMechad({ appId: subscriberId, appPort, resources, waitFor: 'ready' });
        started.push(sidecar);
        expect(sidecar.output()).not.toContain('subscription failed');
        return sidecar;
      };
      let app: LedgerApp = await startApp();
      let subscriber: MechadProcess = await startSubscriber();
      const publisher = await startMechad({ appId: `noloss-pub-${run}`, resources });
      started.push(publisher);

      const ids = Array.from({ length: total }, (_, i) => `${run}-${i}`);
      loop = new PublishLoop({ url: publisher.url, pubsub: 'pubsub', topic, ids });
      const publisherLoop = loop;
      loop.holdFrom(holdUntilBrokerBack);
      const publishing = loop.run(inFlight);
      const acknowledged = (count: number, what: string) =>
        waitFor(() => (publisherLoop.acknowledged.length >= count ? true : undefined), `${count} acknowledged publishes (${what}); last failure: ${publisherLoop.lastFailure}`, 180_000);
      const timeline: string[] = [];
      const began = performance.now();
      const mark = (what: string) => timeline.push(`${((performance.now() - began) / 1000).toFixed(1)} s, ${publisherLoop.acknowledged.length} acknowledged, ${readLedger(ledgerDir).delivered.length} delivered: ${what}`);

      // (a) The app dies mid-stream; deliveries fail until it is back.
      await acknowledged(killAppAt, 'before killing the app');
      await app.stop('SIGKILL');
      mark('app killed');
      await acknowledged(restartAppAt, 'while the app is down');
      app = await startApp();
      mark('app restarted');

      // (b) The app's sidecar dies with messages in flight; a new one joins the same group.
      await acknowledged(killSidecarAt, 'before killing the subscriber sidecar');
      await subscriber.stop('SIGKILL');
      mark('subscriber mechad killed');
      subscriber = await startSubscriber();
      mark('subscriber mechad restarted');

      // (c) The broker goes away and comes back; publishes fail meanwhile and are retried.
      await acknowledged(stopBrokerAt, 'before stopping the broker');
      await ctl('stop', broker.failure.service);
      mark('broker stopped');
      try {
        await waitForBrokerHealth(subscriber.url, 'pubsub', 'DOWN');
        await waitForBrokerHealth(publisher.url, 'pubsub', 'DOWN');
        mark('both sidecars report the broker DOWN');
      } finally {
        await ctl('start', broker.failure.service);
        mark('broker started');
      }
      await waitForBrokerHealth(subscriber.url, 'pubsub', 'UP');
      await waitForBrokerHealth(publisher.url, 'pubsub', 'UP');
      mark('both sidecars report the broker UP');
      publisherLoop.release();

      await publishing;
      mark('every message acknowledged');
      const expected = new Set(publisherLoop.acknowledged);
      expect(expected.size).toBe(total);
      try {
        await waitFor(() => (compareLedger(expected, readLedger(ledgerDir).delivered).missing.length === 0 ? true : undefined), 'every acknowledged message in the ledger', 60_000);
      } catch {
        // Reported below, with the ids.
      }
      mark('ledger checked');
      const { missing, duplicates, unique } = compareLedger(expected, readLedger(ledgerDir).delivered);
      const summary = `${broker.name}: ${total} acknowledged, ${unique} delivered, ${missing.length} missing, ${duplicates} duplicate deliveries, ${publisherLoop.failures} failed publish attempts retried`;
      const reasons = [...publisherLoop.failureReasons].map(([reason, count]) => `${count}× ${reason}`);
      console.log(`${summary}\n  ${timeline.join('\n  ')}${reasons.length ? `\n  failed publishes: ${reasons.join('\n    ')}` : ''}`);
      await context.annotate(summary, 'duplicates');
      expect(
        missing,
        `${missing.length} acknowledged messages never reached the app (first ${Math.min(missing.length, 20)}: ${missing.slice(0, 20).join(', ')})\n` +
          `timeline:\n  ${timeline.join('\n  ')}\n--- subscriber mechad output (last 4000 chars) ---\n${subscriber.output().slice(-4000)}`,
      ).toEqual([]);
    }, 420_000);
  });
}
