import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { holdService } from '@mecha/services/lock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamNameForTopic } from '../src/jetstream-names.ts';
import { brokerFixture } from './broker-fixture.ts';
import { deleteStreams, withAdmin } from './jetstream-admin.ts';
import { NATS_URL, requireServer } from './nats-server.ts';
import { pause, Recorder, text } from './recorder.ts';
import { TcpProxy } from './tcp-proxy.ts';

// This file stops and starts nats-failure, which other suites restart too: take turns.
let releaseService: () => void = () => {};
beforeAll(async () => {
  releaseService = await holdService('nats-failure');
}, 15 * 60_000);
afterAll(() => releaseService());

/** A private server that this file stops and starts; nothing else uses it. */
const FAILURE_URL = process.env.MECHA_TEST_NATS_FAILURE ?? 'nats://127.0.0.1:4223';
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function services(action: 'start' | 'stop', name: string): void {
  try {
    execFileSync('bash', ['tooling/services/ctl.sh', action, name], { cwd: repoRoot, stdio: 'pipe' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`tooling/services/ctl.sh ${action} ${name} failed: ${String(stdout ?? '')}${String(stderr ?? '')}`, {
      cause: error,
    });
  }
}

/** Polls until `check` resolves (true) or keeps rejecting (false) within `timeoutMs`. */
async function eventually(check: () => Promise<unknown>, outcome: 'resolves' | 'rejects', timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const resolved = await check().then(
      () => true,
      () => false,
    );
    if (resolved === (outcome === 'resolves')) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting until the check ${outcome}`);
    await pause(50);
  }
}

beforeAll(() => requireServer(NATS_URL, 'nats'));

const fixture = brokerFixture(() => NATS_URL);

describe('pubsub.jetstream when the connection is cut', () => {
  let proxy: TcpProxy;
  let proxied = '';
  beforeAll(async () => {
    const { hostname, port } = new URL(NATS_URL);
    proxy = new TcpProxy({ host: hostname, port: Number(port) || 4222 });
    proxied = await proxy.listen();
  });
  afterAll(() => proxy?.close());

  it('reports the broker down while cut, and delivers what was published meanwhile once back', async () => {
    const topic = fixture.topic('cut');
    const subscriber = await fixture.broker({ servers: [proxied] });
    const publisher = await fixture.broker();
    const recorder = new Recorder();
    await subscriber.subscribe({ topic, consumerGroup: 'g', metadata: {} }, recorder.handler);
    await publisher.publish({ topic, data: text('before'), metadata: {} });
    await recorder.waitFor('the first message', () => recorder.messages.length === 1);
    await subscriber.ping();

    proxy.cut();
    await eventually(() => subscriber.ping(), 'rejects');
    await expect(subscriber.ping()).rejects.toThrow(/not connected to NATS at nats:\/\/127\.0\.0\.1:\d+ \(reconnecting\)/);
    await expect(subscriber.publish({ topic, data: text('lost?'), metadata: {} })).rejects.toThrow(
      /publishing to '.*' failed/,
    );
    for (const n of [1, 2]) await publisher.publish({ topic, data: text(`during-${n}`), metadata: {} });

    proxy.restore();
    await eventually(() => subscriber.ping(), 'resolves');
    await recorder.waitFor('the messages published while cut', () => recorder.messages.length >= 3);
    await publisher.publish({ topic, data: text('after'), metadata: {} });
    await recorder.waitFor('the message published after', () => recorder.texts.includes('after'));
    expect(new Set(recorder.texts)).toEqual(new Set(['before', 'during-1', 'during-2', 'after']));
  });
});

describe('pubsub.jetstream when the server forgets the consumer or the stream', () => {
  it('creates a deleted consumer again and goes on delivering', async () => {
    const topic = fixture.topic('lost-consumer');
    const broker = await fixture.broker();
    const recorder = new Recorder();
    await broker.subscribe({ topic, consumerGroup: 'orders', metadata: {} }, recorder.handler);
    await broker.publish({ topic, data: text('first'), metadata: {} });
    await recorder.waitFor('the first message', () => recorder.messages.length === 1);

    const stream = streamNameForTopic(topic);
    const [consumer] = await withAdmin(NATS_URL, async (jsm) => {
      const names: string[] = [];
      for await (const info of jsm.consumers.list(stream)) names.push(info.name);
      for (const name of names) await jsm.consumers.delete(stream, name);
      return names;
    });
    await eventually(() => withAdmin(NATS_URL, (jsm) => jsm.consumers.info(stream, consumer!)), 'resolves');
    await broker.publish({ topic, data: text('second'), metadata: {} });
    await recorder.waitFor('the message after the consumer came back', () => recorder.texts.includes('second'));
  });

  it('creates a deleted stream again, with its consumer, for subscribers and publishers', async () => {
    const topic = fixture.topic('lost-stream');
    const subscriber = await fixture.broker();
    const publisher = await fixture.broker();
    const recorder = new Recorder();
    await subscriber.subscribe({ topic, consumerGroup: 'g', metadata: {} }, recorder.handler);
    await publisher.publish({ topic, data: text('first'), metadata: {} });
    await recorder.waitFor('the first message', () => recorder.messages.length === 1);

    await withAdmin(NATS_URL, (jsm) => jsm.streams.delete(streamNameForTopic(topic)));
    // The publisher finds no stream and makes one; the subscriber then makes its consumer again.
    await publisher.publish({ topic, data: text('second'), metadata: {} });
    await recorder.waitFor('the message in the new stream', () => recorder.texts.includes('second'));
  });
});

describe('pubsub.jetstream when the server restarts', () => {
  const streams: string[] = [];
  beforeAll(() => services('start', 'nats-failure'));
  afterAll(async () => {
    services('start', 'nats-failure');
    await deleteStreams(FAILURE_URL, streams);
  });

  it('reconnects by itself, reports the broker down meanwhile, and its subscription goes on', async () => {
    const topic = fixture.topic('restart');
    streams.push(streamNameForTopic(topic));
    const subscriber = await fixture.broker({ servers: [FAILURE_URL], consumer: { ackWaitMs: 2000 } });
    const publisher = await fixture.broker({ servers: [FAILURE_URL] });
    let stopped!: () => void;
    const serverStopped = new Promise<void>((resolve) => (stopped = resolve));
    let firstTime = true;
    const recorder = new Recorder(async (message) => {
      // Taken before the stop and failed while the server is away: the server must hand it
      // out again once it is back.
      if (new TextDecoder().decode(message.data) === 'in-flight' && firstTime) {
        firstTime = false;
        await serverStopped;
        throw new Error('failed while the server was away');
      }
    });
    await subscriber.subscribe({ topic, consumerGroup: 'g', metadata: {} }, recorder.handler);
    await publisher.publish({ topic, data: text('before'), metadata: {} });
    await publisher.publish({ topic, data: text('in-flight'), metadata: {} });
    await recorder.waitFor('both messages', () => recorder.messages.length === 2);

    services('stop', 'nats-failure');
    await eventually(() => subscriber.ping(), 'rejects');
    stopped();
    await expect(publisher.publish({ topic, data: text('refused'), metadata: {} })).rejects.toThrow(
      /publishing to '.*' failed/,
    );

    services('start', 'nats-failure');
    await eventually(() => subscriber.ping(), 'resolves');
    await eventually(() => publisher.publish({ topic, data: text('after'), metadata: {} }), 'resolves');
    await recorder.waitFor(
      'the message published after the restart, and the one that failed meanwhile again',
      () => recorder.texts.includes('after') && recorder.texts.filter((t) => t === 'in-flight').length >= 2,
    );
  });
});
