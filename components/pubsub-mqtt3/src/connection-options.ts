import type { IClientOptions } from 'mqtt';
import type { BrokerAddress } from './broker-address.ts';
import type { ResolvedMqtt3Options } from './mqtt3-broker-options.ts';

/** mqtt.js options for one MQTT 3.1.1 connection of this component. */
export function connectionOptions(
  address: BrokerAddress,
  options: ResolvedMqtt3Options,
  clientId: string,
  clean: boolean,
): IClientOptions {
  const client: IClientOptions = {
    protocol: address.protocol,
    host: address.host,
    port: address.port,
    protocolVersion: 4,
    clientId,
    clean,
    keepalive: options.keepaliveSeconds,
    reconnectPeriod: options.reconnectPeriodMs,
    connectTimeout: options.connectTimeoutMs,
    // Mqtt3Subscription subscribes again itself after a reconnect (see there why).
    resubscribe: false,
    // A publish is handed to mqtt.js only while connected (see Mqtt3Broker.publish).
    queueQoSZero: false,
    rejectUnauthorized: true,
  };
  if (address.username !== undefined) client.username = address.username;
  if (address.password !== undefined) client.password = address.password;
  if (options.caCert) client.ca = options.caCert;
  if (options.clientCert) client.cert = options.clientCert;
  if (options.clientKey) client.key = options.clientKey;
  return client;
}
