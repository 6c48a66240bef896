import type { Logger } from '@mecha/core';
import { validateMetadata } from '@mecha/core';
import type { BrokerMessage } from '@mecha/pubsub';
import { describe, expect, it } from 'vitest';
import { MemoryBroker, definition } from '../src/index.ts';

function message(text: string, topic = 'orders'): BrokerMessage {
  return {
    topic,
    data: new TextEncoder().encode(text),
    contentType: 'text/plain',
    metadata: { k: 'v' },
  };
}

function text(m: BrokerMessage): string {
  return new TextDecoder().decode(m.data);
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function errorLogger(lines: string[]): Logger {
  const ignore = () => {};
  const logger: Logger = {
    level: 'error',
    trace: ignore,
    debug: ignore,
    info: ignore,
    warn: ignore,
    error: (obj, msg) => lines.push(typeof obj === 'string' ? obj : (msg ?? '')),
    fatal: ignore,
    child: () => logger,
  };
  return logger;
}

describe('MemoryBroker', () => {
  it('takes turns between the consumers of a group and gives every group each message', async () => {
    const broker = new MemoryBroker();
    const seen: Record<string, string[]> = { a1: [], a2: [], b: [] };
    const record = (who: string) => async (m: BrokerMessage) => void seen[who]!.push(text(m));
    await broker.subscribe({ topic: 'orders', consumerGroup: 'a', metadata: {} }, record('a1'));
    await broker.subscribe({ topic: 'orders', consumerGroup: 'a', metadata: {} }, record('a2'));
    await broker.subscribe({ topic: 'orders', consumerGroup: 'b', metadata: {} }, record('b'));
    await broker.subscribe({ topic: 'other', consumerGroup: 'a', metadata: {} }, record('b'));
    for (const n of ['1', '2', '3', '4']) await broker.publish(message(n));
    await until(() => seen['b']!.length === 4 && seen['a1']!.length + seen['a2']!.length === 4);
    expect(seen['a1']).toEqual(['1', '3']);
    expect(seen['a2']).toEqual(['2', '4']);
    expect(seen['b']).toEqual(['1', '2', '3', '4']);
    await broker.close();
  });

  it('copies the payload, so the publisher may reuse its buffer', async () => {
    const broker = new MemoryBroker();
    const seen: string[] = [];
    await broker.subscribe(
      { topic: 'orders', consumerGroup: 'g', metadata: {} },
      async (m) => void seen.push(text(m)),
    );
    const reused = message('abc');
    await broker.publish(reused);
    reused.data.fill(0x7a);
    await until(() => seen.length === 1);
    expect(seen).toEqual(['abc']);
    await broker.close();
  });

  it('redelivers a rejected message a bounded number of times, then drops it with an error log', async () => {
    const lines: string[] = [];
    const broker = new MemoryBroker({
      maxRedeliveries: 2,
      redeliveryDelayMs: 1,
      logger: errorLogger(lines),
    });
    let attempts = 0;
    await broker.subscribe({ topic: 'orders', consumerGroup: 'g', metadata: {} }, async () => {
      attempts += 1;
      throw new Error('nope');
    });
    await broker.publish(message('x'));
    await until(() => lines.length === 1);
    expect(attempts).toBe(3);
    expect(lines[0]).toMatch(/dropping a message on topic orders after 3 failed deliveries/);
    await broker.close();
  });

  it('redelivers to the next consumer of the group, and succeeds there', async () => {
    const broker = new MemoryBroker({ redeliveryDelayMs: 1 });
    const got: string[] = [];
    await broker.subscribe({ topic: 'orders', consumerGroup: 'g', metadata: {} }, async () => {
      got.push('failing');
      throw new Error('busy');
    });
    await broker.subscribe(
      { topic: 'orders', consumerGroup: 'g', metadata: {} },
      async () => void got.push('healthy'),
    );
    await broker.publish(message('x'));
    await until(() => got.includes('healthy'));
    expect(got).toEqual(['failing', 'healthy']);
    await broker.close();
  });

  it('does not keep messages for a group without subscribers', async () => {
    const broker = new MemoryBroker();
    const seen: string[] = [];
    await broker.publish(message('before'));
    const subscription = await broker.subscribe(
      { topic: 'orders', consumerGroup: 'g', metadata: {} },
      async (m) => void seen.push(text(m)),
    );
    await broker.publish(message('during'));
    await until(() => seen.length === 1);
    await subscription.close();
    await broker.publish(message('after'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toEqual(['during']);
    await broker.close();
  });

  it('waits for handlers in progress when a subscription or the broker closes', async () => {
    const broker = new MemoryBroker();
    let release!: () => void;
    let finished = false;
    const subscription = await broker.subscribe(
      { topic: 'orders', consumerGroup: 'g', metadata: {} },
      async () => {
        await new Promise<void>((resolve) => (release = resolve));
        finished = true;
      },
    );
    await broker.publish(message('slow'));
    await until(() => release !== undefined);
    const closing = subscription.close();
    setTimeout(() => release(), 10);
    await closing;
    expect(finished).toBe(true);
    await broker.close();
    await expect(broker.publish(message('late'))).rejects.toThrow(/closed/);
    await expect(
      broker.subscribe({ topic: 'orders', consumerGroup: 'g', metadata: {} }, async () => {}),
    ).rejects.toThrow(/closed/);
  });

  it('publishes natively in bulk', async () => {
    const broker = new MemoryBroker();
    const seen: string[] = [];
    await broker.subscribe(
      { topic: 'orders', consumerGroup: 'g', metadata: {} },
      async (m) => void seen.push(text(m)),
    );
    expect(await broker.bulkPublish([message('1'), message('2')])).toEqual([]);
    await until(() => seen.length === 2);
    expect(seen).toEqual(['1', '2']);
    await broker.close();
  });
});

describe('definition', () => {
  it('is pubsub.in-memory v1 and declares only what it implements', () => {
    expect(definition).toMatchObject({
      type: 'pubsub.in-memory',
      version: 'v1',
      block: 'pubsub',
      features: ['BULK_PUBSUB'],
    });
  });

  it('validates its metadata and refuses a negative redelivery count', async () => {
    const context = { name: 'bus', appId: 'app', logger: errorLogger([]), rawMetadata: {} };
    expect(validateMetadata(definition.metadata, { redeliveryDelay: '250ms' })).toEqual({
      maxRedeliveries: 3,
      redeliveryDelay: 250,
    });
    expect(() => validateMetadata(definition.metadata, { maxRedeliveries: 'many' })).toThrow(
      /maxRedeliveries/,
    );
    await expect(definition.create({ maxRedeliveries: -1 }, context)).rejects.toThrow(
      /maxRedeliveries/,
    );
    const broker = await definition.create(validateMetadata(definition.metadata, {}), context);
    expect(broker).toBeInstanceOf(MemoryBroker);
    await broker.close();
  });
});
