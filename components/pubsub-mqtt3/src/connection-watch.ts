import { errorMessage, type Logger } from '@mecha/core';
import type { IConnackPacket, MqttClient } from 'mqtt';

/**
 * Follows one mqtt.js connection: logs losses and recoveries once each, remembers the last
 * error for messages, and lets callers wait (boundedly) for the connection to be up.
 */
export class ConnectionWatch {
  readonly #client: MqttClient;
  readonly #label: string;
  readonly #logger: Logger;
  #lastError: string | undefined;
  #everConnected = false;
  #down = false;
  readonly #waiters = new Set<() => void>();

  constructor(client: MqttClient, label: string, logger: Logger) {
    this.#client = client;
    this.#label = label;
    this.#logger = logger;
    client.on('connect', () => {
      if (this.#down) this.#logger.info(`${label}: connection to the MQTT broker re-established`);
      this.#everConnected = true;
      this.#down = false;
      this.#lastError = undefined;
      for (const wake of this.#waiters) wake();
    });
    client.on('error', (error) => {
      this.#lastError = errorMessage(error);
      for (const wake of this.#waiters) wake();
    });
    client.on('close', () => {
      if (this.#everConnected && !this.#down && !client.disconnecting) {
        this.#logger.warn(`${label}: connection to the MQTT broker lost${this.#lastError ? ` (${this.#lastError})` : ''}; reconnecting`);
      }
      if (this.#everConnected) this.#down = true;
      for (const wake of this.#waiters) wake();
    });
  }

  get connected(): boolean {
    return this.#client.connected;
  }

  /** Why the connection is down, for error messages. */
  describeDown(): string {
    return `${this.#label} is not connected to the MQTT broker${this.#lastError ? `: ${this.#lastError}` : ' (reconnecting)'}`;
  }

  /**
   * Resolves once connected. Rejects after `timeoutMs`, or at once when `failFast` and the
   * connection attempt failed (used for the first connection, so a wrong address or
   * password is reported instead of retried).
   */
  waitConnected(timeoutMs: number, failFast = false): Promise<void> {
    if (this.#client.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const errorsBefore = this.#lastError;
      const check = () => {
        if (this.#client.connected) {
          done();
          resolve();
        } else if (failFast && this.#lastError !== undefined && this.#lastError !== errorsBefore) {
          done();
          reject(new Error(this.describeDown()));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.describeDown()} (waited ${timeoutMs} ms)`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
    });
  }
}

/** The CONNACK of the next successful connection. */
export function nextConnack(client: MqttClient): Promise<IConnackPacket> {
  return new Promise((resolve) => client.once('connect', resolve));
}

/**
 * Ends a connection: with a DISCONNECT (which keeps a persistent session) when connected and
 * nothing is in flight, by dropping the socket otherwise, or after `timeoutMs` when a stuck
 * broker never closes its side. Closing never hangs.
 */
export async function endConnection(client: MqttClient, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => client.stream?.destroy(), timeoutMs);
    const force = !client.connected || Object.keys(client.outgoing).length > 0;
    client.end(force, {}, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
