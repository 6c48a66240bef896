import { renderMetadataTable, silentLogger, validateMetadata } from '@mecha/core';
import { pubsubCommonFields } from '@mecha/pubsub';
import { beforeAll, describe, expect, it } from 'vitest';
import { definition } from '../src/definition.ts';
import { Mqtt3Broker } from '../src/index.ts';
import { MQTT_URL, requireBroker } from './mqtt-server.ts';

const context = { name: 'mqtt', appId: 'checkout', logger: silentLogger(), rawMetadata: {} };
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';

function create(raw: Record<string, string>) {
  return definition.create(validateMetadata(definition.metadata, raw, { passthrough: pubsubCommonFields }), {
    ...context,
    rawMetadata: raw,
  });
}

describe('pubsub.mqtt3 definition', () => {
  beforeAll(() => requireBroker(MQTT_URL, 'mosquitto'));

  it("has Dapr's type name and declares only wildcard subscriptions", () => {
    expect(definition).toMatchObject({ type: 'pubsub.mqtt3', version: 'v1', block: 'pubsub', features: ['SUBSCRIBE_WILDCARDS'] });
  });

  it("applies Dapr's defaults", () => {
    expect(validateMetadata(definition.metadata, { url: 'tcp://broker:1883' })).toEqual({
      url: 'tcp://broker:1883',
      qos: 1,
      retain: false,
      cleanSession: false,
      backOffMaxRetries: -1,
      sharedSubscriptions: true,
    });
    // Dapr's own test component files write some values unquoted.
    expect(validateMetadata(definition.metadata, { url: 'tcp://localhost:1884', retain: false, qos: 1, cleanSession: false })).toMatchObject({
      retain: false,
      qos: 1,
      cleanSession: false,
    });
    expect(renderMetadataTable(definition.metadata)).toContain('| `url` | string | yes |');
  });

  it('requires url and refuses values of the wrong type, naming the field', () => {
    expect(() => validateMetadata(definition.metadata, {})).toThrow(/"url": is required/);
    expect(() => validateMetadata(definition.metadata, { url: 'tcp://b', qos: 'high' })).toThrow(/"qos"/);
    expect(() => validateMetadata(definition.metadata, { url: 'tcp://b', cleanSession: 'perhaps' })).toThrow(/"cleanSession"/);
  });

  it.each([
    [{ url: 'http://broker:1883' }, /metadata field 'url' has the scheme "http"/],
    [{ url: 'not a url' }, /metadata field 'url' is not a URL/],
    [{ url: 'tcp://127.0.0.1:1883', qos: '3' }, /metadata field 'qos' must be 0, 1 or 2/],
    [{ url: 'tcp://127.0.0.1:1883', backOffMaxRetries: '-2' }, /metadata field 'backOffMaxRetries'/],
    [{ url: 'tcp://127.0.0.1:1883', backOffMaxRetries: '1.5' }, /metadata field 'backOffMaxRetries'/],
    [{ url: 'tcp://127.0.0.1:1883', caCert: 'not pem' }, /metadata field 'caCert' is not a PEM block/],
    [{ url: 'tcp://127.0.0.1:1883', clientCert: PEM }, /'clientCert' and 'clientKey' go together/],
  ])('refuses bad metadata at create: %j', async (raw, message) => {
    await expect(create(raw)).rejects.toThrow(message);
  });

  it('fails to create, naming the address without its password, when no broker answers', async () => {
    const failure = create({ url: 'tcp://someone:secret@127.0.0.1:1' });
    await expect(failure).rejects.toThrow(/cannot connect to the MQTT broker at tcp:\/\/someone:\*\*\*@127\.0\.0\.1:1/);
    await expect(failure).rejects.not.toThrow(/secret/);
  });

  it('creates a working broker from Dapr metadata, with the consumer id in the publisher client id', async () => {
    const broker = await create({ url: MQTT_URL.replace(/^mqtt:/, 'tcp:'), consumerID: 'orders', qos: '1', retain: 'false' });
    try {
      expect(broker).toBeInstanceOf(Mqtt3Broker);
      await broker.ping!();
    } finally {
      await broker.close();
    }
  });
});
