import { defineMetadata } from '@mecha/core';

/**
 * `pubsub.mqtt3` metadata with Dapr's field names. `consumerID` is not listed: the pub/sub
 * block reads it (it names the consumer group) and passes it through to every component.
 */
export const mqtt3Metadata = defineMetadata({
  url: {
    type: 'string',
    required: true,
    sensitive: true,
    description:
      'Address of the broker, `tcp://[user[:password]@]host[:port]`. `mqtt://` is the same as `tcp://`; `ssl://`, `tls://`, `tcps://` and `mqtts://` connect over TLS. Default ports 1883 and 8883.',
    example: 'tcp://127.0.0.1:1883',
  },
  qos: {
    type: 'number',
    default: 1,
    description:
      'Quality of service of published messages: 0, 1 or 2. Subscriptions use QoS 1 (at-least-once) when this is 1 or 2, and QoS 0 (at-most-once, no redelivery) when it is 0.',
    example: '1',
  },
  retain: {
    type: 'boolean',
    default: false,
    description:
      'Publish with the retain flag, so the broker keeps the last message of each topic for future subscribers. A publish request may override it with its own `retain` metadata.',
  },
  cleanSession: {
    type: 'boolean',
    default: false,
    description:
      'Connect subscribers with a clean session. Off (the default), the broker keeps each subscriber\'s session: messages published while it is away, and messages it had not acknowledged, are delivered when it reconnects. On, both are lost.',
  },
  caCert: {
    type: 'string',
    description: 'PEM certificate of the authority that signed the broker\'s certificate, for a TLS URL.',
    example: '-----BEGIN CERTIFICATE-----\\n...',
  },
  clientCert: {
    type: 'string',
    sensitive: true,
    description: 'PEM client certificate for mutual TLS; needs `clientKey`.',
    example: '-----BEGIN CERTIFICATE-----\\n...',
  },
  clientKey: {
    type: 'string',
    sensitive: true,
    description: 'PEM private key of `clientCert`.',
    example: '-----BEGIN PRIVATE KEY-----\\n...',
  },
  backOffMaxRetries: {
    type: 'number',
    default: -1,
    description:
      'How many times a message the subscriber rejected is handed to it again, within the same connection, before it is given back to the broker (by reconnecting, which makes the broker resend every unacknowledged message). -1 retries without limit.',
    example: '10',
  },
  sharedSubscriptions: {
    type: 'boolean',
    default: true,
    description:
      'Mecha only: subscribe through MQTT shared subscriptions (`$share/<consumerID>/<topic>`), so the subscribers of one consumer group share the messages and each group gets all of them. Turn it off for a broker without shared subscriptions; every subscriber then gets every message.',
  },
});
