import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { PubSubBroker } from '@mecha/pubsub';
import { holdService } from '@mecha/services/lock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RabbitMqBroker, connectionTarget } from '../src/index.ts';
import { adminConnection, cleanUp, createBroker, failureRabbitMq, message, text, unique, until } from './fixtures/test-rabbitmq.ts';

// This file stops and starts rabbitmq-failure, which other suites restart too: take turns.
let releaseService: () => void = () => {};
beforeAll(async () => {
  releaseService = await holdService('rabbitmq-failure');
}, 15 * 60_000);
afterAll(() => releaseService());

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);

/** Stops or starts the private RabbitMQ node that nothing else uses. */
async function ctl(action: 'stop' | 'start'): Promise<void> {
  await run('bash', ['tooling/services/ctl.sh', action, 'rabbitmq-failure'], { cwd: repoRoot });
}

/**
 * rabbitmqctl for the private node, with the Erlang cookie tooling/services gave it (the
 * Debian wrapper would switch to the rabbitmq user and its cookie).
 */
async function rabbitmqctl(...args: string[]): Promise<void> {
  const home = `${process.env.MECHA_SERVICES_DIR ?? '/tmp/mecha-services'}/rabbitmq-home`;
  try {
    // rabbitmqctl boots an Erlang VM: about 1 s on a quiet machine, 7-13 s measured with the 2
    // cores busy, more under CI. Bounded, so a CLI that cannot reach the node fails with its name.
    await run('/usr/lib/rabbitmq/bin/rabbitmqctl', ['-n', 'mecha-rabbitmq-failure@localhost', ...args], { env: { ...process.env, HOME: home }, timeout: 100_000 });
  } catch (error) {
    throw new Error(`rabbitmqctl ${args.join(' ')} failed on rabbitmq-failure (cookie from ${home}): ${(error as Error).message}`);
  }
}

/**
 * Failures of the broker itself, on the private `rabbitmq-failure` node (one file, so the
 * cases never overlap): a resource alarm that blocks publishers, and a real restart after
 * which durable queues keep their persistent messages, a non-durable queue the broker
 * forgot is declared again, and the subscriptions come back without anyone subscribing again.
 */
describe('pubsub.rabbitmq when the broker fails', () => {
  const brokers: PubSubBroker[] = [];
  const queues = new Set<string>();
  const exchanges = new Set<string>();

  beforeAll(async () => {
    await run('bash', ['tooling/services/up.sh', 'rabbitmq-failure'], { cwd: repoRoot }).catch((error: Error & { stdout?: string }) => {
      throw new Error(`cannot start rabbitmq-failure with \`bash tooling/services/up.sh rabbitmq-failure\`: ${error.stdout ?? error.message}`);
    });
    (await adminConnection(failureRabbitMq, 'rabbitmq-failure')).close();
  });
  afterAll(async () => {
    await Promise.allSettled(brokers.map((broker) => broker.close()));
    await ctl('start');
    const admin = await adminConnection(failureRabbitMq, 'rabbitmq-failure');
    await cleanUp(admin, queues, exchanges);
    await admin.close();
  });

  async function broker(raw: Record<string, string>): Promise<PubSubBroker> {
    const created = await createBroker({ connectionString: failureRabbitMq, reconnectWaitSeconds: '0.2', deletedWhenUnused: 'false', ...raw });
    brokers.push(created);
    return created;
  }

  it('bounds a publish RabbitMQ stops reading during a resource alarm, then fails fast and reports it in ping', async () => {
    const topic = unique('alarm');
    exchanges.add(topic);
    const rabbit = await RabbitMqBroker.connect({
      target: connectionTarget({ connectionString: failureRabbitMq }),
      publishTimeoutMs: 500,
      reconnectWaitMs: 200,
    });
    brokers.push(rabbit);
    await rabbit.publish(message(topic, 'before'));
    try {
      await rabbitmqctl('set_vm_memory_high_watermark', '0.000001');
      await expect(rabbit.publish(message(topic, 'stalled'))).rejects.toThrow(
        'RabbitMQ at amqp://127.0.0.1:5673 did not confirm the message within 500 ms',
      );
      await until('ping to report the alarm', () => rabbit.ping().then(() => false, () => true));
      await expect(rabbit.ping()).rejects.toThrow('RabbitMQ at amqp://127.0.0.1:5673 blocked the connection: low on memory');
      await expect(rabbit.publish(message(topic, 'refused'))).rejects.toThrow('blocked the connection: low on memory');
    } finally {
      await rabbitmqctl('set_vm_memory_high_watermark', '0.4');
    }
    await until('ping to recover', () => rabbit.ping().then(() => true, () => false));
    await rabbit.publish(message(topic, 'after'));
    // Two rabbitmqctl runs (see above) on a loaded machine: room for both, still a hang detector.
  }, 240_000);

  it('recovers its subscriptions, reports the outage, and keeps persistent messages of durable queues', async () => {
    const topic = unique('restart');
    const durableGroup = unique('durable');
    const offlineGroup = unique('offline');
    const transientGroup = unique('transient');
    for (const group of [durableGroup, offlineGroup, transientGroup]) queues.add(`${group}-${topic}`);
    exchanges.add(topic);

    const rabbit = await broker({ deliveryMode: '2' });
    // A second component whose queues are not durable: the broker forgets them on restart.
    const forgetful = await broker({ durable: 'false', deliveryMode: '2' });
    const durableSeen: string[] = [];
    const transientSeen: string[] = [];
    await rabbit.subscribe({ topic, consumerGroup: durableGroup, metadata: {} }, async (m) => void durableSeen.push(text(m)));
    await forgetful.subscribe({ topic: `${topic}-t`, consumerGroup: transientGroup, metadata: {} }, async (m) => void transientSeen.push(text(m)));
    queues.add(`${transientGroup}-${topic}-t`);
    exchanges.add(`${topic}-t`);
    const offline = await rabbit.subscribe({ topic, consumerGroup: offlineGroup, metadata: {} }, async () => {});
    await offline.close();
    await rabbit.publish(message(topic, 'before'));
    await until('the delivery before the restart', () => durableSeen.length === 1);

    await ctl('stop');
    await expect(rabbit.ping!()).rejects.toThrow(/RabbitMQ at amqp:\/\/127\.0\.0\.1:5673/);
    await expect(rabbit.publish(message(topic, 'while down'))).rejects.toThrow(/RabbitMQ at amqp:\/\/127\.0\.0\.1:5673 is unreachable/);
    await ctl('start');

    await until('ping to recover', () => rabbit.ping!().then(() => true, () => false), 30_000);
    await until('the forgetful component to reconnect', () => forgetful.ping!().then(() => true, () => false), 30_000);
    // Published after the restart: the recovered subscriptions must get them without subscribing again.
    await until('publishing to work again', () => rabbit.publish(message(topic, 'after')).then(() => true, () => false), 30_000);
    await until('the forgotten queue to be declared again', () =>
      forgetful.publish(message(`${topic}-t`, 'after')).then(() => transientSeen.length > 0, () => false),
    );
    await until('the delivery after the restart', () => durableSeen.includes('after'), 30_000);
    expect(durableSeen[0]).toBe('before');
    expect(transientSeen[0]).toBe('after');

    // The group without a subscriber kept both persistent messages through the restart.
    const offlineSeen: string[] = [];
    await rabbit.subscribe({ topic, consumerGroup: offlineGroup, metadata: {} }, async (m) => void offlineSeen.push(text(m)));
    await until('the messages kept for the offline group', () => offlineSeen.length >= 2);
    expect(offlineSeen.filter((t) => t === 'before')).toHaveLength(1);
    expect(offlineSeen).toContain('after');
  });
});
