import { MetadataValidationError, silentLogger, validateMetadata } from '@mecha/core';
import { pubsubCommonFields } from '@mecha/pubsub';
import { describe, expect, it } from 'vitest';
import { definition, kafkaOptions } from '../src/index.ts';

const context = { appId: 'checkout', logger: silentLogger() };
const PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----';

function options(raw: Record<string, string>) {
  return kafkaOptions(validateMetadata(definition.metadata, { authType: 'none', ...raw }), context);
}

/** What `create` throws for this metadata, before any connection is attempted. */
async function createError(raw: Record<string, string>): Promise<string> {
  try {
    const metadata = validateMetadata(definition.metadata, raw, {
      passthrough: pubsubCommonFields,
    });
    await definition.create(metadata, {
      name: 'kafka',
      appId: 'checkout',
      logger: silentLogger(),
      rawMetadata: raw,
    });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('create succeeded');
}

describe('kafka metadata', () => {
  it("maps Dapr's defaults", () => {
    const result = options({ brokers: 'localhost:9092, kafka-2:9093' });
    expect(result).toMatchObject({
      brokers: ['localhost:9092', 'kafka-2:9093'],
      clientId: 'checkout',
      initialOffset: 'newest',
      redeliveryDelayMs: 100,
      heartbeatIntervalMs: 3000,
      sessionTimeoutMs: 10000,
      acks: -1,
      producerRetries: 5,
      compression: 'none',
      assignmentStrategy: 'range',
      escapeHeaders: false,
    });
    expect(result.ssl).toBeUndefined();
    expect(result.sasl).toBeUndefined();
    expect(result.consumerGroup).toBeUndefined();
  });

  it('maps every field it implements', () => {
    const result = options({
      brokers: 'a:1',
      consumerGroup: 'workers',
      clientID: 'me',
      initialOffset: 'OLDEST',
      maxMessageBytes: '2048',
      consumeRetryInterval: '250',
      heartbeatInterval: '1s',
      sessionTimeout: '20s',
      consumerFetchMin: '4',
      consumerFetchDefault: '2097152',
      clientConnectionTopicMetadataRefreshInterval: '4m',
      dialTimeout: '2s',
      readTimeout: '10s',
      writeTimeout: '12s',
      producerRequiredAcks: 'local',
      producerRetryMax: '0',
      compression: 'gzip',
      consumerGroupRebalanceStrategy: 'roundrobin',
      escapeHeaders: 'true',
      excludeHeaderMetaRegex: '^raw',
    });
    expect(result).toMatchObject({
      consumerGroup: 'workers',
      clientId: 'me',
      initialOffset: 'oldest',
      maxMessageBytes: 2048,
      // A bare number is milliseconds for this field, as in Dapr.
      redeliveryDelayMs: 250,
      heartbeatIntervalMs: 1000,
      sessionTimeoutMs: 20000,
      fetchMinBytes: 4,
      fetchMaxBytesPerPartition: 2097152,
      metadataMaxAgeMs: 240000,
      connectionTimeoutMs: 2000,
      requestTimeoutMs: 12000,
      acks: 1,
      producerRetries: 0,
      compression: 'gzip',
      assignmentStrategy: 'roundrobin',
      escapeHeaders: true,
    });
    expect(result.excludeHeaderMetadata?.test('rawPayload')).toBe(true);
    expect(options({ brokers: 'a:1', consumeRetryInterval: '2s' }).redeliveryDelayMs).toBe(2000);
    expect(options({ brokers: 'a:1', producerRequiredAcks: 'none' }).acks).toBe(0);
  });

  it('configures SASL for authType password, with TLS on unless disableTls', () => {
    const base = { brokers: 'a:1', authType: 'password', saslUsername: 'u', saslPassword: 'p' };
    expect(options(base)).toMatchObject({
      sasl: { mechanism: 'plain', username: 'u', password: 'p' },
      ssl: true,
    });
    expect(options({ ...base, saslMechanism: 'SHA-256' }).sasl?.mechanism).toBe('scram-sha-256');
    expect(options({ ...base, saslMechanism: 'SHA-512' }).sasl?.mechanism).toBe('scram-sha-512');
    expect(options({ ...base, saslMechanism: 'scram-sha-512' }).sasl?.mechanism).toBe(
      'scram-sha-512',
    );
    expect(options({ ...base, disableTls: 'true' }).ssl).toBeUndefined();
    expect(options({ ...base, skipVerify: 'true', caCert: PEM.replace(/\n/g, '\\n') }).ssl).toEqual(
      {
        rejectUnauthorized: false,
        ca: [PEM],
      },
    );
  });

  it('configures a client certificate for authType mtls, and derives authType from authRequired', () => {
    const mtls = options({ brokers: 'a:1', authType: 'mtls', clientCert: PEM, clientKey: KEY });
    expect(mtls.ssl).toEqual({ cert: PEM, key: KEY });
    expect(mtls.sasl).toBeUndefined();
    expect(options({ brokers: 'a:1', authType: 'certificate', caCert: PEM }).ssl).toEqual({
      ca: [PEM],
    });
    const legacy = kafkaOptions(
      validateMetadata(definition.metadata, {
        brokers: 'a:1',
        authRequired: 'true',
        saslUsername: 'u',
        saslPassword: 'p',
      }),
      context,
    );
    expect(legacy.sasl?.username).toBe('u');
    const none = kafkaOptions(
      validateMetadata(definition.metadata, { brokers: 'a:1', authRequired: 'false' }),
      context,
    );
    expect(none.ssl).toBeUndefined();
  });
});

describe('bad metadata is refused at create, naming the field', () => {
  it.each([
    [{ authType: 'none' }, 'brokers', /is required/],
    [{ brokers: 'localhost' }, 'brokers', /not host:port/],
    [{ brokers: ' , ' }, 'brokers', /at least one broker/],
    [{ brokers: 'a:1' }, 'authType', /is required/],
    [{ brokers: 'a:1', authType: 'kerberos' }, 'authType', /must be one of/],
    [{ brokers: 'a:1', authType: 'oidc' }, 'authType', /"oidc" is not supported/],
    [{ brokers: 'a:1', authType: 'awsiam' }, 'authType', /"awsiam" is not supported/],
    [{ brokers: 'a:1', authType: 'password', saslPassword: 'p' }, 'saslUsername', /required/],
    [{ brokers: 'a:1', authType: 'password', saslUsername: 'u' }, 'saslPassword', /required/],
    [
      {
        brokers: 'a:1',
        authType: 'password',
        saslUsername: 'u',
        saslPassword: 'p',
        saslMechanism: 'GSSAPI',
      },
      'saslMechanism',
      /must be one of/,
    ],
    [{ brokers: 'a:1', authType: 'mtls', clientCert: PEM }, 'clientKey', /required/],
    [
      { brokers: 'a:1', authType: 'mtls', clientCert: PEM, clientKey: KEY, disableTls: 'true' },
      'disableTls',
      /cannot be true/,
    ],
    [{ brokers: 'a:1', authType: 'certificate' }, 'caCert', /required/],
    [{ brokers: 'a:1', authType: 'none', caCert: 'not a certificate' }, 'caCert', /not PEM/],
    [
      { brokers: 'a:1', authType: 'none', initialOffset: 'latest' },
      'initialOffset',
      /newest, oldest/,
    ],
    [
      { brokers: 'a:1', authType: 'none', consumeRetryInterval: 'soon' },
      'consumeRetryInterval',
      /invalid duration/,
    ],
    [
      { brokers: 'a:1', authType: 'none', heartbeatInterval: '5s', sessionTimeout: '5s' },
      'sessionTimeout',
      /longer than heartbeatInterval/,
    ],
    [
      { brokers: 'a:1', authType: 'none', heartbeatInterval: 'often' },
      'heartbeatInterval',
      /invalid duration/,
    ],
    [{ brokers: 'a:1', authType: 'none', maxMessageBytes: '0' }, 'maxMessageBytes', /at least 1/],
    [{ brokers: 'a:1', authType: 'none', maxMessageBytes: 'big' }, 'maxMessageBytes', /./],
    [
      { brokers: 'a:1', authType: 'none', producerRequiredAcks: 'some' },
      'producerRequiredAcks',
      /all, local, none/,
    ],
    [
      { brokers: 'a:1', authType: 'none', producerRetryMax: '-1' },
      'producerRetryMax',
      /at least 0/,
    ],
    [
      { brokers: 'a:1', authType: 'none', compression: 'snappy' },
      'compression',
      /"snappy" is not supported/,
    ],
    [{ brokers: 'a:1', authType: 'none', compression: 'brotli' }, 'compression', /none, gzip/],
    [
      { brokers: 'a:1', authType: 'none', consumerGroupRebalanceStrategy: 'sticky' },
      'consumerGroupRebalanceStrategy',
      /"sticky" is not supported/,
    ],
    [
      { brokers: 'a:1', authType: 'none', excludeHeaderMetaRegex: '([' },
      'excludeHeaderMetaRegex',
      /not a valid regular expression/,
    ],
    [{ brokers: 'a:1', authType: 'none', readTimeout: '0s' }, 'readTimeout', /positive/],
  ] as const)('%o is refused for %s', async (raw, field, message) => {
    const text = await createError(raw);
    expect(text).toContain(`"${field}"`);
    expect(text).toMatch(message);
  });

  it('reports schema violations as MetadataValidationError', () => {
    expect(() =>
      validateMetadata(definition.metadata, { brokers: 'a:1', escapeHeaders: 'maybe' }),
    ).toThrow(MetadataValidationError);
  });

  it('names the brokers when none can be reached', async () => {
    const text = await createError({ brokers: '127.0.0.1:1', authType: 'none' });
    expect(text).toMatch(/Kafka brokers 127\.0\.0\.1:1 are unreachable/);
  });
});
