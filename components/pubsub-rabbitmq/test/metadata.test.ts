import { renderMetadataTable, silentLogger, validateMetadata } from '@mecha/core';
import { pubsubCommonFields } from '@mecha/pubsub';
import { describe, expect, it } from 'vitest';
import { connectionTarget, definition, optionsFromMetadata } from '../src/index.ts';
import { createBroker } from './fixtures/test-rabbitmq.ts';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';

function options(raw: Record<string, string>) {
  const metadata = validateMetadata(definition.metadata, raw, { passthrough: pubsubCommonFields });
  return optionsFromMetadata(metadata, silentLogger());
}

describe('pubsub.rabbitmq metadata', () => {
  it("applies daprd's defaults", () => {
    const o = options({});
    expect(o).toMatchObject({
      durable: true,
      deleteWhenUnused: true,
      autoAck: false,
      requeueInFailure: false,
      enableDeadLetter: false,
      deliveryMode: 0,
      prefetchCount: 0,
      reconnectWaitMs: 3000,
      heartbeatSeconds: 10,
      concurrency: 'parallel',
      exchangeKind: 'fanout',
      publishMessagePropertiesToMetadata: false,
    });
    expect(o.target).toEqual({ url: 'amqp://localhost', protocol: 'amqp', display: 'amqp://localhost:5672' });
    expect(o.defaultTtlMs).toBeUndefined();
    expect(o.tls).toBeUndefined();
  });

  it('reads durations as seconds or Go durations, and booleans and numbers from strings', () => {
    const o = options({
      reconnectWaitSeconds: '10',
      heartBeat: '1500ms',
      ttlInSeconds: '90s',
      durable: 'false',
      deletedWhenUnused: 'false',
      deliveryMode: '2',
      prefetchCount: '25',
      maxLen: '100',
      maxLenBytes: '2048',
      concurrencyMode: 'single',
      exchangeKind: 'topic',
      clientName: 'orders',
    });
    expect(o).toMatchObject({
      reconnectWaitMs: 10_000,
      heartbeatSeconds: 2,
      defaultTtlMs: 90_000,
      durable: false,
      deleteWhenUnused: false,
      deliveryMode: 2,
      prefetchCount: 25,
      maxLen: 100,
      maxLenBytes: 2048,
      concurrency: 'single',
      exchangeKind: 'topic',
      clientName: 'orders',
    });
  });

  it('builds the URI from hostname, username and password, keeping credentials out of it', () => {
    const o = options({ hostname: 'rabbit.example:5673', username: 'app', password: 'p@ss:/word', protocol: 'amqps' });
    expect(o.target).toEqual({
      url: 'amqps://rabbit.example:5673',
      protocol: 'amqps',
      display: 'amqps://rabbit.example:5673',
      credentials: { username: 'app', password: 'p@ss:/word' },
    });
    expect(o.tls).toEqual({ saslExternal: false });
  });

  it('takes the protocol from connectionString, falls back to the deprecated host, and hides credentials in the display form', () => {
    expect(connectionTarget({ connectionString: 'amqps://u:secret@h:5999/vh' })).toEqual({
      url: 'amqps://u:secret@h:5999/vh',
      protocol: 'amqps',
      display: 'amqps://h:5999/vh',
    });
    expect(options({ host: 'amqp://u:p@old-host' }).target.display).toBe('amqp://old-host:5672');
    expect(options({ host: 'amqp://old-host', connectionString: 'amqp://new-host' }).target.display).toBe('amqp://new-host:5672');
  });

  it.each([
    [{ connectionString: 'amqp://h', protocol: 'amqps' }, "'protocol' (amqps) does not match the scheme of 'connectionString'"],
    [{ connectionString: 'http://h' }, "'connectionString' must use the amqp or amqps scheme"],
    [{ connectionString: 'not a uri' }, "'connectionString' is not a valid AMQP URI"],
    [{ protocol: 'mqtt' }, "'protocol' must be amqp or amqps"],
    [{ hostname: 'h/vhost' }, "'hostname' must be a host or host:port"],
    [{ deliveryMode: '3' }, "'deliveryMode' must be a whole number from 0 to 2"],
    [{ prefetchCount: '-1' }, "'prefetchCount' must be a whole number from 0 to 65535"],
    [{ prefetchCount: '1.5' }, "'prefetchCount' must be a whole number"],
    [{ maxLen: '-5' }, "'maxLen' must be a whole number"],
    [{ ttlInSeconds: '0' }, "'ttlInSeconds' must be more than zero"],
    [{ reconnectWaitSeconds: '-1s' }, "'reconnectWaitSeconds' must not be negative"],
    [{ caCert: 'not pem' }, "'caCert' is not a PEM block"],
    [{ clientCert: PEM }, "'clientCert' and 'clientKey' must be given together"],
    [{ saslExternal: 'true', caCert: PEM }, "'saslExternal' can only be true when 'caCert', 'clientCert' and 'clientKey' are set"],
  ])('refuses %j naming the field', (raw, expected) => {
    expect(() => options(raw)).toThrow(expected);
  });

  it.each([
    [{ exchangeKind: 'x-delayed' }, 'metadata field "exchangeKind": must be one of: fanout, topic, direct, headers'],
    [{ concurrencyMode: 'many' }, 'metadata field "concurrencyMode": must be one of: parallel, single'],
    [{ durable: 'maybe' }, 'metadata field "durable"'],
    [{ heartBeat: 'soon' }, 'metadata field "heartBeat"'],
    [{ prefetchCount: 'lots' }, 'metadata field "prefetchCount"'],
  ])('refuses %j at validation, naming the field', (raw, expected) => {
    expect(() => options(raw)).toThrow(expected);
  });

  it('refuses bad metadata in create before dialling anything', async () => {
    await expect(createBroker({ connectionString: 'amqp://127.0.0.1:1', deliveryMode: '7' })).rejects.toThrow(
      "metadata field 'deliveryMode' must be a whole number from 0 to 2 (got 7)",
    );
  });

  it('fails create with a message naming the broker when it cannot be reached', async () => {
    await expect(
      createBroker({ connectionString: 'amqp://guest:secret@127.0.0.1:1', reconnectWaitSeconds: '0' }),
    ).rejects.toThrow(/^cannot connect to RabbitMQ at amqp:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
  });

  it('passes TLS material only for amqps', () => {
    const keyPem = '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----';
    const tls = { caCert: PEM, clientCert: PEM, clientKey: keyPem, saslExternal: 'true' };
    expect(options({ ...tls, connectionString: 'amqps://h' }).tls).toEqual({ caCert: PEM, clientCert: PEM, clientKey: keyPem, saslExternal: true });
    expect(options({ ...tls, connectionString: 'amqp://h' }).tls).toBeUndefined();
  });

  it('declares its type, features and a config table with every field', () => {
    expect(definition.type).toBe('pubsub.rabbitmq');
    expect(definition.version).toBe('v1');
    expect(definition.features).toEqual(['BULK_PUBSUB', 'MESSAGE_TTL']);
    const table = renderMetadataTable(definition.metadata);
    for (const field of ['connectionString', 'deliveryMode', 'prefetchCount', 'enableDeadLetter', 'reconnectWaitSeconds', 'concurrencyMode']) {
      expect(table).toContain(`\`${field}\``);
    }
    expect(definition.metadata.password.sensitive).toBe(true);
    expect(definition.metadata.connectionString.sensitive).toBe(true);
  });
});
