import type { Binding, BindingRequest, BindingResponse } from '@mecha/bindings';
import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import { connectRedisClient, createRedisClient, describeRedisTarget, type RedisClient, type RedisTarget } from './redis-client.ts';
import { requestTtlMs } from './request-ttl.ts';

export interface RedisBindingOptions extends RedisTarget {
  logger?: Logger;
}

/** Dapr's operations for `bindings.redis`, in Dapr's order. */
export const redisBindingOperations = ['create', 'delete', 'get', 'increment'] as const;

const empty: BindingResponse = { data: new Uint8Array(0), metadata: {} };

/**
 * `bindings.redis`: an output binding over plain Redis strings, with Dapr's operations. Every
 * operation names its key in the request metadata `key`:
 *
 * - `create`: SET the request's data; `ttlInSeconds` (or `ttl`) sets an expiry in the same command.
 * - `get`: the value as the response data, empty when the key does not exist; with metadata
 *   `delete: "true"` the key is removed in the same step (GETDEL).
 * - `delete`: DEL.
 * - `increment`: INCR (the value must hold an integer), then the expiry if one was asked for.
 */
export class RedisBinding implements Binding {
  readonly operations = redisBindingOperations;
  readonly #client: RedisClient;
  readonly #target: string;

  private constructor(client: RedisClient, target: string) {
    this.#client = client;
    this.#target = target;
  }

  /** Connects (failing within the dial timeout, naming the server) and returns the binding. */
  static async connect(options: RedisBindingOptions): Promise<RedisBinding> {
    const logger = options.logger ?? silentLogger();
    const target = describeRedisTarget(options);
    const client = createRedisClient(options);
    let reported = false;
    client.on('error', (error: unknown) => {
      // ioredis reconnects by itself; each call reports its own failure. Log a loss once.
      if (!reported) logger.warn({ error: errorMessage(error) }, `${target}: connection problem; reconnecting`);
      reported = true;
    });
    client.on('ready', () => {
      reported = false;
    });
    await connectRedisClient(client, target, options.dialTimeoutMs ?? 5000);
    return new RedisBinding(client, target);
  }

  async invoke(request: BindingRequest): Promise<BindingResponse> {
    const key = request.metadata['key'];
    if (!key) throw new Error('bindings.redis: the request metadata has no "key"');
    switch (request.operation) {
      case 'create': {
        const ttl = requestTtlMs(request.metadata);
        const value = Buffer.from(request.data);
        await this.#call(() => (ttl === undefined ? this.#client.set(key, value) : this.#client.set(key, value, 'PX', ttl)));
        return empty;
      }
      case 'get': {
        const remove = request.metadata['delete'] === 'true';
        const value = await this.#call(() => (remove ? this.#client.getdelBuffer(key) : this.#client.getBuffer(key)));
        return value === null ? empty : { data: new Uint8Array(value), metadata: {} };
      }
      case 'delete':
        await this.#call(() => this.#client.del(key));
        return empty;
      case 'increment': {
        const ttl = requestTtlMs(request.metadata);
        await this.#call(() => this.#client.incr(key));
        if (ttl !== undefined) await this.#call(() => this.#client.pexpire(key, ttl));
        return empty;
      }
      default:
        throw new Error(`bindings.redis does not support the operation "${request.operation}" (supported: ${redisBindingOperations.join(', ')})`);
    }
  }

  async close(): Promise<void> {
    try {
      await this.#client.quit();
    } catch {
      this.#client.disconnect();
    }
  }

  async #call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new Error(`${this.#target}: ${errorMessage(error)}`, { cause: error });
    }
  }
}
