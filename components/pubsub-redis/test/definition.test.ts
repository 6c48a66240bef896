import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { validateMetadata, type Logger } from '@mecha/core';
import { pubsubCommonFields, type BrokerMessage, type PubSubBroker } from '@mecha/pubsub';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisDurationMs } from '../src/dapr-redis-duration.ts';
import { definition, parseAddresses, RedisStreamsBroker } from '../src/index.ts';
import { adminClient, requireTestRedis, testRedis } from './fixtures/test-redis.ts';

function logger(warnings: string[] = []): Logger {
  const ignore = () => {};
  const result: Logger = {
    level: 'warn',
    trace: ignore,
    debug: ignore,
    info: ignore,
    warn: (obj, msg) => warnings.push(typeof obj === 'string' ? obj : (msg ?? '')),
    error: ignore,
    fatal: ignore,
    child: () => result,
  };
  return result;
}

async function create(raw: Record<string, string>, warnings: string[] = [], appId = 'defs'): Promise<PubSubBroker> {
  const metadata = validateMetadata(definition.metadata, raw, { passthrough: pubsubCommonFields });
  return definition.create(metadata, { name: 'pubsub', appId, logger: logger(warnings), rawMetadata: raw });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('pubsub.redis definition', () => {
  let admin: Redis;
  const streams: string[] = [];

  beforeAll(async () => {
    await requireTestRedis();
    admin = adminClient();
  });
  afterAll(async () => {
    if (streams.length > 0) await admin.del(...streams);
    admin.disconnect();
  });

  it("is Dapr's pubsub.redis v1, declares native bulk publish only, and uses Dapr's field names", () => {
    expect(definition).toMatchObject({ type: 'pubsub.redis', version: 'v1', block: 'pubsub', features: ['BULK_PUBSUB'] });
    expect(Object.keys(definition.metadata)).toEqual(
      expect.arrayContaining([
        'redisHost', 'redisPort', 'redisUsername', 'redisPassword', 'redisDB', 'redisType', 'enableTLS', 'insecureSkipTLSVerify',
        'clientCert', 'clientKey', 'failover', 'sentinelMasterName', 'sentinelUsername', 'sentinelPassword', 'processingTimeout',
        'redeliverInterval', 'queueDepth', 'concurrency', 'maxLenApprox', 'streamTTL', 'dialTimeout', 'readTimeout', 'writeTimeout',
        'redisMaxRetries', 'redisMinRetryInterval', 'redisMaxRetryInterval', 'poolSize', 'poolTimeout', 'maxConnAge', 'minIdleConns',
        'idleCheckFrequency', 'idleTimeout', 'useEntraID',
      ]),
    );
    expect(definition.metadata.redisPassword.sensitive).toBe(true);
    expect(definition.metadata.clientKey.sensitive).toBe(true);
  });

  it('refuses malformed values, naming the field', () => {
    const bad: Array<[string, string]> = [
      ['queueDepth', 'many'],
      ['processingTimeout', 'soon'],
      ['redeliverInterval', '5 minutes'],
      ['redisType', 'sentinel'],
      ['enableTLS', 'maybe'],
    ];
    for (const [field, value] of bad) {
      expect(() => validateMetadata(definition.metadata, { redisHost: testRedis, [field]: value })).toThrow(field);
    }
    expect(() => validateMetadata(definition.metadata, {})).toThrow(/redisHost.*required/);
  });

  it('refuses values a resource file can hold but Redis cannot use, naming the field, before connecting', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ queueDepth: '0' }, /'queueDepth' must be a whole number of at least 1/],
      [{ concurrency: '1.5' }, /'concurrency' must be a whole number/],
      [{ maxLenApprox: '-1' }, /'maxLenApprox' must be a whole number of at least 0/],
      [{ redisDB: '-2' }, /'redisDB'/],
      [{ processingTimeout: '-1' }, /'processingTimeout' must not be negative/],
      [{ nackRedeliverDelay: '-5ms' }, /'nackRedeliverDelay' must not be negative/],
      [{ failover: 'true' }, /'sentinelMasterName' is required/],
      [{ useEntraID: 'true' }, /'useEntraID'.*not supported/],
      [{ useOIDC: 'true' }, /'useOIDC'.*not supported/],
      [{ redisHost: '' }, /'redisHost' is empty/],
      [{ redisHost: 'localhost:port' }, /'redisHost'.*port must be a number/],
      [{ redisHost: '127.0.0.1:1,127.0.0.1:2' }, /'redisHost' lists several addresses/],
      [{ redisHost: '127.0.0.1:6379', redisPort: '6380' }, /redisPort is 6380/],
    ];
    for (const [raw, message] of cases) {
      await expect(create({ redisHost: testRedis, ...raw })).rejects.toThrow(message);
    }
  });

  it('fails to start, naming the address, when Redis cannot be reached', async () => {
    const port = await closedPort();
    await expect(create({ redisHost: `127.0.0.1:${port}`, dialTimeout: '2s' })).rejects.toThrow(
      new RegExp(`error connecting to redis at 127\\.0\\.0\\.1:${port}`),
    );
  });

  it('reads bare integers as milliseconds, as Dapr does, and names its connections after app and component', async () => {
    const appId = `defs-${randomUUID().slice(0, 8)}`;
    const t = `pubsub-redis-defs-${randomUUID().slice(0, 8)}`;
    streams.push(t);
    await admin.xgroup('CREATE', t, appId, '0', 'MKSTREAM');
    await admin.xadd(t, '*', 'data', 'orphan');
    await admin.xreadgroup('GROUP', appId, 'crashed-process', 'COUNT', 1, 'STREAMS', t, '>');
    // Read as seconds, 300 would leave the orphan pending for five minutes.
    const broker = await create({ redisHost: testRedis, processingTimeout: '300', redeliverInterval: '100' }, [], appId);
    try {
      expect(broker).toBeInstanceOf(RedisStreamsBroker);
      expect(String(await admin.call('CLIENT', 'LIST'))).toContain(`name=mecha:${appId}:pubsub`);
      const seen: BrokerMessage[] = [];
      await broker.subscribe({ topic: t, consumerGroup: appId, metadata: {} }, async (m) => void seen.push(m));
      const deadline = Date.now() + 15_000;
      while (seen.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(seen.map((m) => new TextDecoder().decode(m.data))).toEqual(['orphan']);
    } finally {
      await broker.close();
    }
  });

  it('warns that streamTTL is ignored when maxLenApprox is set too', async () => {
    const warnings: string[] = [];
    const broker = await create({ redisHost: testRedis, maxLenApprox: '100', streamTTL: '1h' }, warnings);
    await broker.close();
    expect(warnings.join('\n')).toMatch(/maxLenApprox.*streamTTL/);
  });
});

describe('helpers', () => {
  it("reads durations the way Dapr's Redis components do", () => {
    expect(redisDurationMs(1_500_000, '1500')).toBe(1500);
    expect(redisDurationMs(2000, '2s')).toBe(2000);
    expect(redisDurationMs(-1000, '-1')).toBe(-1);
    expect(redisDurationMs(-5, '-5ms')).toBe(-1);
    expect(redisDurationMs(60_000, undefined)).toBe(60_000);
    expect(redisDurationMs(undefined, undefined)).toBeUndefined();
  });

  it('splits redisHost like Dapr', () => {
    expect(parseAddresses('localhost')).toEqual([{ host: 'localhost', port: 6379 }]);
    expect(parseAddresses('a:2, b', 2)).toEqual([
      { host: 'a', port: 2 },
      { host: 'b', port: 2 },
    ]);
    expect(parseAddresses('[::1]:7000')).toEqual([{ host: '::1', port: 7000 }]);
  });
});
