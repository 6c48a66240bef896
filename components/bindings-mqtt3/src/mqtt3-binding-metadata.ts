import { defineMetadata } from '@mecha/core';

/** Field names as Dapr's `bindings.mqtt3` (components-contrib `bindings/mqtt3`). */
export const mqtt3BindingMetadata = defineMetadata({
  url: {
    type: 'string',
    required: true,
    sensitive: true,
    description:
      'The broker, `tcp://[user[:password]@]host[:port]`. `mqtt://` is the same as `tcp://`; `ssl://`, `tls://`, `tcps://` and `mqtts://` connect over TLS. Default ports 1883 and 8883.',
    example: 'tcp://localhost:1883',
  },
  topic: {
    type: 'string',
    required: true,
    description: 'The topic the input binding subscribes to (wildcards `+` and `#` allowed) and the output binding publishes to unless a request names its own `topic`.',
    example: 'sensors/temperature',
  },
  consumerID: {
    type: 'string',
    required: true,
    description:
      'Base of the MQTT client ids: the subscriber connects as `<consumerID>-consumer` (its persistent session on the broker), the publisher as `<consumerID>-producer-<random>`. Two running instances must not share one (Dapr suggests `{uuid}` or `{podName}`).',
    example: 'orders-app',
  },
  qos: {
    type: 'number',
    description: 'Deprecated in Dapr and ignored there as here: messages are always published and subscribed with QoS 1 (at least once).',
  },
  retain: {
    type: 'boolean',
    default: false,
    description: 'Publish with the retain flag, so the broker keeps the last message of the topic for future subscribers. A request may override it with its own `retain` metadata.',
  },
  cleanSession: {
    type: 'boolean',
    default: false,
    description:
      "Connect with a clean session. Off (the default), the broker keeps the subscriber's session: messages published while it is away, and those it had not acknowledged, are delivered when it reconnects. On, both are lost.",
  },
  backOffMaxRetries: {
    type: 'number',
    default: 0,
    description:
      'How many more times the component hands a message the app rejected to it again (every 5 s) before giving it back to the broker, which resends it after the component reconnects. -1 retries without limit.',
    example: '3',
  },
  caCert: { type: 'string', description: 'PEM certificate of the authority that signed the broker certificate, for a TLS URL.' },
  clientCert: { type: 'string', description: 'PEM client certificate for mutual TLS (with `clientKey`).' },
  clientKey: { type: 'string', sensitive: true, description: 'PEM private key of `clientCert`.' },
});
