import type { BrokerSubscription } from '@mecha/pubsub';
import { beforeAll, describe, expect, it } from 'vitest';
import type { JetStreamBroker } from '../src/index.ts';
import { streamNameForTopic } from '../src/jetstream-names.ts';
import { brokerFixture } from './broker-fixture.ts';
import { withAdmin } from './jetstream-admin.ts';
import { NATS_URL, requireServer } from './nats-server.ts';
import { pause, Recorder, text } from './recorder.ts';

beforeAll(() => requireServer(NATS_URL, 'nats'));

const fixture = brokerFixture(() => NATS_URL);

/** ackWait of the consumers here, the server's default: a message nobody settles waits this long. */
const ackWaitMs = 30_000;

/**
 * How a sidecar stops: the broker closes (which closes its subscriptions), or a subscription
 * starts closing and the broker closes before that finished (the block closes a
 * subscription, then the whole pub/sub, without the first close holding up the second).
 */
const closings = {
  'the broker closes': (broker: JetStreamBroker) => broker.close(),
  'the subscription closes, then the broker before that finished': (broker: JetStreamBroker, subscription: BrokerSubscription) =>
    Promise.all([subscription.close(), broker.close()]),
};

/**
 * A handler still running when closing starts gets the close timeout to finish, and its
 * outcome must still reach the server: an ack when it resolved, a nak when it rejected.
 * Otherwise the message waits out ackWait before the group sees it again.
 */
describe.each(['single', 'parallel'] as const)('pubsub.jetstream closing with a handler running (concurrency %s)', (concurrency) => {
  /** A subscription whose handler holds the one message published until `finish()`. */
  async function handlerRunning(label: string, outcome: 'resolve' | 'reject') {
    const topic = fixture.topic(label);
    const group = `g-${concurrency}`;
    const broker = await fixture.broker({ concurrency, closeTimeoutMs: 5000, consumer: { ackWaitMs } });
    let finish!: () => void;
    const finishing = new Promise<void>((resolve) => (finish = resolve));
    const recorder = new Recorder(async () => {
      await finishing;
      if (outcome === 'reject') throw new Error('failed while the subscription was closing');
    });
    const subscription = await broker.subscribe({ topic, consumerGroup: group, metadata: {} }, recorder.handler);
    await broker.publish({ topic, data: text('in-flight'), metadata: {} });
    await recorder.waitFor('the delivery', () => recorder.messages.length === 1);
    return { topic, group, broker, subscription, finish, recorder };
  }

  /** The group's consumer as the server reports it, once `ready` holds (within 10 s). */
  async function consumerWhen(topic: string, ready: (info: { ackFloor: number; ackPending: number }) => boolean) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const info = await withAdmin(NATS_URL, async (jsm) => {
        for await (const consumer of jsm.consumers.list(streamNameForTopic(topic))) {
          return { ackFloor: consumer.ack_floor.stream_seq, ackPending: consumer.num_ack_pending };
        }
        throw new Error(`no consumer on ${topic}`);
      });
      if (ready(info) || Date.now() > deadline) return info;
      await pause(50);
    }
  }

  for (const [how, close] of Object.entries(closings)) {
    it(`acknowledges a message whose handler resolves after closing began (${how})`, async () => {
      const { topic, group, broker, subscription, finish } = await handlerRunning('close-ack', 'resolve');
      const closing = close(broker, subscription);
      await pause(100); // closing is under way, waiting for the handler
      finish();
      await closing;

      expect(await consumerWhen(topic, (info) => info.ackFloor === 1)).toEqual({ ackFloor: 1, ackPending: 0 });
      // The next subscriber of the group gets only what came after.
      const next = await fixture.broker({ concurrency, consumer: { ackWaitMs } });
      const later = new Recorder();
      await next.subscribe({ topic, consumerGroup: group, metadata: {} }, later.handler);
      await next.publish({ topic, data: text('after'), metadata: {} });
      await later.waitFor('the next message', () => later.messages.length === 1);
      await pause(200);
      expect(later.texts).toEqual(['after']);
    });

    it(`gives back at once a message whose handler rejects after closing began (${how})`, async () => {
      const { topic, group, broker, subscription, finish } = await handlerRunning('close-nak', 'reject');
      const closing = close(broker, subscription);
      await pause(100);
      finish();
      await closing;

      // ackWait is 30 s: only a nak brings the message to the next subscriber well before.
      const next = await fixture.broker({ concurrency, consumer: { ackWaitMs } });
      const later = new Recorder();
      await next.subscribe({ topic, consumerGroup: group, metadata: {} }, later.handler);
      await later.waitFor('the message given back', () => later.messages.length === 1, ackWaitMs / 2);
      expect(later.texts).toEqual(['in-flight']);
      expect(await consumerWhen(topic, (info) => info.ackFloor === 1)).toEqual({ ackFloor: 1, ackPending: 0 });
    });
  }
});
