import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import {
  EtagInvalidError,
  EtagMismatchError,
  type BulkGetResult,
  type StateDeleteRequest,
  type StateGetRequest,
  type StateSetRequest,
  type StateStore,
  type StoredItem,
  type TransactionOperation,
} from '@mecha/state';
import { Redis } from 'ioredis';
import { connectRedis, createRedisClient, describeTarget, type RedisClient, type RedisConnectionOptions } from './redis-connection.ts';
import { readScript, setScript, writeScript } from './redis-scripts.ts';

export interface RedisStateStoreOptions extends RedisConnectionOptions {
  /** Time to live, in seconds, for writes whose request sets none; -1 or absent: no expiry. */
  defaultTtlSeconds?: number;
  logger?: Logger;
}

type ReadReply = [Buffer | null, Buffer | null, number, Buffer] | null;

/** The two scripts, registered on the client with `defineCommand` (EVALSHA, EVAL on a cache miss). */
interface ScriptCommands {
  mechaStateReadBuffer(key: string): Promise<ReadReply>;
  mechaStateWrite(numberOfKeys: number, ...keysThenArgs: Array<string | Buffer>): Promise<number>;
  mechaStateSet(key: string, value: Buffer, ttlMs: string): Promise<number>;
}

interface PlannedWrite {
  key: string;
  args: Array<string | Buffer>;
}

const etagPattern = /^\d{1,19}$/;

/**
 * State on Redis through ioredis, in Dapr's layout: one hash per key with `data` and
 * `version`. ETags are the version, checked and bumped by a Lua script so a conditional write
 * is one atomic step; transactions run as one script that checks every condition before
 * writing anything. TTL is the key's expiry. Bulk reads and unconditional bulk writes are
 * sent together (ioredis auto-pipelining) rather than one round trip each.
 *
 * Create it with `RedisStateStore.connect(options)`, which fails when Redis is unreachable.
 * Afterwards a call made while Redis is down fails at once with the address in the message,
 * and calls succeed again by themselves once ioredis has reconnected.
 */
export class RedisStateStore implements StateStore {
  readonly #client: RedisClient;
  readonly #scripts: ScriptCommands;
  readonly #target: string;
  readonly #defaultTtl: number | undefined;
  readonly #logger: Logger;
  readonly #commandTimeoutMs: number;
  #replicas = 0;
  #closed = false;

  private constructor(client: RedisClient, options: RedisStateStoreOptions) {
    this.#client = client;
    this.#scripts = client as unknown as ScriptCommands;
    this.#target = describeTarget(options);
    this.#defaultTtl = options.defaultTtlSeconds;
    this.#logger = options.logger ?? silentLogger();
    this.#commandTimeoutMs = options.commandTimeoutMs ?? 3000;
  }

  /** Connects (within the dial timeout) and returns the store; throws naming the address when Redis is unreachable. */
  static async connect(options: RedisStateStoreOptions): Promise<RedisStateStore> {
    const client = createRedisClient(options);
    const store = new RedisStateStore(client, options);
    client.defineCommand('mechaStateRead', { lua: readScript, numberOfKeys: 1, readOnly: true });
    client.defineCommand('mechaStateWrite', { lua: writeScript });
    client.defineCommand('mechaStateSet', { lua: setScript, numberOfKeys: 1 });
    let lastReported = '';
    // Every reconnection attempt emits an error; log each distinct one, not each attempt.
    client.on('error', (error: Error) => {
      if (error.message === lastReported) return;
      lastReported = error.message;
      store.#logger.warn({ error: error.message }, `state.redis: connection to ${store.#target} failed; reconnecting`);
    });
    client.on('ready', () => {
      if (lastReported !== '') store.#logger.info(`state.redis: reconnected to ${store.#target}`);
      lastReported = '';
    });
    await connectRedis(client, store.#target, options.dialTimeoutMs ?? 5000);
    if (client instanceof Redis) store.#replicas = await store.#connectedReplicas();
    return store;
  }

  /** The ioredis client, for what the state API does not cover (use with care: it shares the store's connection). */
  get client(): RedisClient {
    return this.#client;
  }

  async get(request: StateGetRequest): Promise<StoredItem | undefined> {
    const reply = await this.#call(() => this.#scripts.mechaStateReadBuffer(request.key));
    return toItem(request.key, reply);
  }

  async bulkGet(requests: StateGetRequest[]): Promise<BulkGetResult[]> {
    this.#ensureConnected();
    // Issued together, auto-pipelining sends them in one round trip per node.
    return Promise.all(
      requests.map(async ({ key }): Promise<BulkGetResult> => {
        try {
          const item = toItem(key, await this.#call(() => this.#scripts.mechaStateReadBuffer(key)));
          return item ? { key, item } : { key };
        } catch (error) {
          return { key, error: errorMessage(error) };
        }
      }),
    );
  }

  async set(request: StateSetRequest): Promise<void> {
    const planned = this.#planSet(request);
    if (isUnconditional(planned)) await this.#setUnconditionally(planned);
    else await this.#write([planned], request.key);
    if (request.consistency === 'strong') await this.#waitForReplicas();
  }

  async bulkSet(requests: StateSetRequest[]): Promise<void> {
    // The block sends only unconditional writes to distinct keys here, so each may go alone.
    await this.#writeEach(requests.map((request) => this.#planSet(request)));
    if (requests.some((request) => request.consistency === 'strong')) await this.#waitForReplicas();
  }

  async delete(request: StateDeleteRequest): Promise<void> {
    await this.#write([this.#planDelete(request)], request.key);
    if (request.consistency === 'strong') await this.#waitForReplicas();
  }

  async bulkDelete(requests: StateDeleteRequest[]): Promise<void> {
    await this.#writeEach(requests.map((request) => this.#planDelete(request)));
    if (requests.some((request) => request.consistency === 'strong')) await this.#waitForReplicas();
  }

  async transact(operations: TransactionOperation[]): Promise<void> {
    if (operations.length === 0) return;
    const planned = operations.map((operation) =>
      operation.operation === 'upsert' ? this.#planSet(operation.request) : this.#planDelete(operation.request),
    );
    await this.#write(planned);
    if (operations.some(({ request }) => request.consistency === 'strong')) await this.#waitForReplicas();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#client.quit();
    } catch {
      this.#client.disconnect();
    }
  }

  #planSet(request: StateSetRequest): PlannedWrite {
    const etag = checkEtag(request.etag);
    const ttl = request.ttlInSeconds ?? this.#defaultTtl;
    const ttlMs = ttl !== undefined && ttl > 0 ? String(ttl * 1000) : '0';
    const firstWrite = request.concurrency === 'first-write' ? '1' : '0';
    return { key: request.key, args: ['set', etag, firstWrite, Buffer.from(request.value.buffer, request.value.byteOffset, request.value.byteLength), ttlMs] };
  }

  #planDelete(request: StateDeleteRequest): PlannedWrite {
    return { key: request.key, args: ['del', checkEtag(request.etag), '0', '', '0'] };
  }

  /** Runs the writes as one atomic script; an ETag or first-write failure names the key. */
  async #write(planned: PlannedWrite[], singleKey?: string): Promise<void> {
    const keys = planned.map((write) => write.key);
    const args = planned.flatMap((write) => write.args);
    let failed: number;
    try {
      failed = await this.#call(() => this.#scripts.mechaStateWrite(keys.length, ...keys, ...args));
    } catch (error) {
      if (/CROSSSLOT/.test(errorMessage(error))) {
        throw new Error(
          `a transaction on ${this.#target} must keep all its keys in one hash slot; put a common hash tag ({...}) in the keys`,
          { cause: error },
        );
      }
      throw error;
    }
    if (failed === 0) return;
    const write = planned[failed - 1]!;
    const [op, etag] = write.args;
    const where = singleKey === undefined ? ` (operation ${failed})` : '';
    if (etag !== '') throw new EtagMismatchError(`key ${write.key} is missing or has another etag${where}`);
    throw new EtagMismatchError(op === 'set' ? `item already exists and no etag was passed for key ${write.key}${where}` : `failed to delete ${write.key}`);
  }

  /** A set with no ETag and no first-write: the smaller script, which cannot fail a condition. */
  async #setUnconditionally(write: PlannedWrite): Promise<void> {
    const [, , , value, ttlMs] = write.args as [string, string, string, Buffer, string];
    await this.#call(() => this.#scripts.mechaStateSet(write.key, value, ttlMs));
  }

  /** Unconditional writes, each its own script call, sent together; every one is attempted. */
  async #writeEach(planned: PlannedWrite[]): Promise<void> {
    this.#ensureConnected();
    const results = await Promise.allSettled(
      planned.map((write) => (isUnconditional(write) ? this.#setUnconditionally(write) : this.#write([write], write.key))),
    );
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [errorMessage(result.reason)] : []));
    if (failures.length > 0) throw new Error(failures.join('\n'));
  }

  /** Runs a command, turning connection trouble into a message that names the server. */
  async #call<T>(command: () => Promise<T>): Promise<T> {
    this.#ensureConnected();
    try {
      return await command();
    } catch (error) {
      const message = errorMessage(error);
      if (/Command timed out/i.test(message)) {
        throw new Error(`${this.#target} did not answer within ${this.#commandTimeoutMs} ms`, { cause: error });
      }
      if (/enableOfflineQueue|Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT/i.test(message)) {
        throw new Error(`connection to ${this.#target} lost: ${message}`, { cause: error });
      }
      throw error;
    }
  }

  #ensureConnected(): void {
    if (this.#closed) throw new Error(`the state store for ${this.#target} is closed`);
    const status = this.#client.status;
    if (status !== 'ready') throw new Error(`${this.#target} is unreachable (client ${status}); the call was not sent`);
  }

  async #connectedReplicas(): Promise<number> {
    try {
      const info = await (this.#client as Redis).info('replication');
      return Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? 0);
    } catch (error) {
      // Some managed services refuse INFO; then strong consistency cannot wait for replicas.
      this.#logger.warn({ error: errorMessage(error) }, `state.redis: cannot read the replica count of ${this.#target}`);
      return 0;
    }
  }

  /** Strong consistency as Dapr does it: wait (at most 1 s) until the replicas have the write. */
  async #waitForReplicas(): Promise<void> {
    if (this.#replicas === 0) return;
    await this.#call(() => (this.#client as Redis).call('WAIT', this.#replicas, 1000));
  }
}

function checkEtag(etag: string | undefined): string {
  if (etag === undefined || etag === '') return '';
  if (!etagPattern.test(etag)) throw new EtagInvalidError(`'${etag}' is not a Redis state version (an integer)`);
  return etag;
}

function toItem(key: string, reply: ReadReply): StoredItem | undefined {
  if (reply === null) return undefined;
  const [data, version, pttl, kind] = reply;
  const type = kind.toString();
  if (type !== 'hash' && type !== 'string') {
    throw new Error(`key ${key} holds a Redis ${type}, not state written by a state store`);
  }
  if (data === null || (type === 'hash' && version === null)) {
    throw new Error(`key ${key} is a hash without the 'data' and 'version' fields of a state item`);
  }
  const item: StoredItem = { value: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  if (version !== null) item.etag = version.toString();
  if (pttl > 0) item.metadata = { ttlExpireTime: new Date(Date.now() + pttl).toISOString().replace(/\.\d{3}Z$/, 'Z') };
  return item;
}

/** A set with neither an ETag nor first-write concurrency. */
function isUnconditional(write: PlannedWrite): boolean {
  const [op, etag, firstWrite] = write.args;
  return op === 'set' && etag === '' && firstWrite === '0';
}
