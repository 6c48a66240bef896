import { errorMessage } from '@mecha/core';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { BrokerAddress } from './broker-url.ts';

export interface TlsFiles {
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
}

export interface ConnectionSettings {
  address: BrokerAddress;
  tls: TlsFiles;
  /** Delay before mqtt.js dials again after losing the connection. */
  reconnectPeriodMs: number;
  connectTimeoutMs: number;
}

/** mqtt.js options for one MQTT 3.1.1 connection. */
export function clientOptions(settings: ConnectionSettings, clientId: string, clean: boolean): IClientOptions {
  const { address, tls } = settings;
  const options: IClientOptions = {
    protocol: address.protocol,
    host: address.host,
    port: address.port,
    protocolVersion: 4,
    clientId,
    clean,
    keepalive: 30,
    reconnectPeriod: settings.reconnectPeriodMs,
    connectTimeout: settings.connectTimeoutMs,
    // The reader subscribes again itself, knowing whether the broker kept its session.
    resubscribe: false,
    rejectUnauthorized: true,
  };
  if (address.username !== undefined) options.username = address.username;
  if (address.password !== undefined) options.password = address.password;
  if (tls.caCert) options.ca = tls.caCert;
  if (tls.clientCert) options.cert = tls.clientCert;
  if (tls.clientKey) options.key = tls.clientKey;
  return options;
}

/**
 * Resolves once the client is connected. Rejects after `timeoutMs`, or, with `failFast`, at
 * the first failed attempt (for the first connection: a wrong address or password is
 * reported rather than retried).
 */
export function waitConnected(client: MqttClient, what: string, timeoutMs: number, failFast: boolean): Promise<void> {
  if (client.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError: string | undefined;
    const finish = (error?: Error) => {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onConnect = () => finish();
    const onError = (error: Error) => {
      lastError = errorMessage(error);
      if (failFast) finish(new Error(`${what}: ${lastError}`));
    };
    const onClose = () => {
      if (failFast) finish(new Error(`${what}: ${lastError ?? 'the broker closed the connection'}`));
    };
    const timer = setTimeout(() => finish(new Error(`${what}: not connected within ${timeoutMs} ms${lastError ? ` (${lastError})` : ''}`)), timeoutMs);
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
  });
}

/**
 * Ends a connection without hanging: a DISCONNECT (which keeps a persistent session) when
 * connected and idle, dropping the socket otherwise or when the broker does not answer.
 */
export async function endConnection(client: MqttClient, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      client.stream?.destroy();
      resolve();
    }, timeoutMs);
    const force = !client.connected || Object.keys(client.outgoing).length > 0;
    client.end(force, {}, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
