import { connect, type Socket } from 'node:net';

/** One item as `gets` returns it. */
export interface MemcachedItem {
  key: string;
  flags: number;
  cas: string;
  value: Buffer;
}

/** The reply line of a storage or delete command (`STORED`, `EXISTS`, `HD`, `NF`, ...). */
export type ReplyWord = string;

/** Reads one reply from `buffer`; returns undefined while it is incomplete. */
type ReplyReader<T> = (buffer: Buffer) => { value: T; length: number } | undefined;

interface Pending {
  read: ReplyReader<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const crlf = Buffer.from('\r\n');

/**
 * A pipelined connection to one memcached server speaking the text protocol. memcached answers
 * requests in order, so replies are matched to a FIFO of pending requests. A timeout or a lost
 * connection fails every pending request and drops the socket (its reply stream can no longer be
 * trusted); the next request connects again.
 */
export class MemcachedConnection {
  readonly address: string;
  readonly #host: string;
  readonly #port: number;
  readonly #timeoutMs: number;
  #socket: Socket | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  #pending: Pending[] = [];
  #closed = false;

  constructor(address: string, timeoutMs: number) {
    const colon = address.lastIndexOf(':');
    const port = colon > 0 ? Number(address.slice(colon + 1)) : 11211;
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`invalid memcached address '${address}'`);
    this.address = address;
    this.#host = colon > 0 ? address.slice(0, colon).replace(/^\[(.*)\]$/, '$1') : address;
    this.#port = port;
    this.#timeoutMs = timeoutMs;
  }

  /** `gets` for several keys in one request; missing keys are simply absent from the result. */
  gets(keys: readonly string[]): Promise<MemcachedItem[]> {
    return this.#request(`gets ${keys.join(' ')}\r\n`, readItems);
  }

  /** `set`, `add` or `cas` (then `cas` is the unique to compare). */
  store(command: 'set' | 'add' | 'cas', key: string, flags: number, exptime: number, value: Uint8Array, cas?: string): Promise<ReplyWord> {
    const header = `${command} ${key} ${flags} ${exptime} ${value.byteLength}${command === 'cas' ? ` ${cas}` : ''}\r\n`;
    return this.#request(Buffer.concat([Buffer.from(header), value, crlf]), readLine);
  }

  delete(key: string): Promise<ReplyWord> {
    return this.#request(`delete ${key}\r\n`, readLine);
  }

  /** Meta delete compared against a CAS unique (memcached 1.6+): `HD`, `NF` or `EX`. */
  deleteIfCas(key: string, cas: string): Promise<ReplyWord> {
    return this.#request(`md ${key} C${cas}\r\n`, readLine);
  }

  version(): Promise<ReplyWord> {
    return this.#request('version\r\n', readLine);
  }

  close(): void {
    this.#closed = true;
    this.#fail(new Error(`the connection to memcached ${this.address} is closed`));
  }

  #request<T>(payload: string | Buffer, read: ReplyReader<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error(`the connection to memcached ${this.address} is closed`));
    const socket = this.#connected();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail(new Error(`memcached ${this.address} did not answer within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.push({ read, resolve: resolve as (value: unknown) => void, reject, timer });
      socket.write(payload);
    });
  }

  #connected(): Socket {
    if (this.#socket) return this.#socket;
    const socket = connect({ host: this.#host, port: this.#port, noDelay: true });
    socket.on('data', (chunk: Buffer) => this.#onData(socket, chunk));
    socket.on('error', (error) => {
      if (this.#socket === socket) this.#fail(new Error(`connection to memcached ${this.address} failed: ${error.message}`, { cause: error }));
    });
    socket.on('close', () => {
      if (this.#socket === socket) this.#fail(new Error(`connection to memcached ${this.address} closed`));
    });
    this.#socket = socket;
    this.#buffer = Buffer.alloc(0);
    return socket;
  }

  #onData(socket: Socket, chunk: Buffer): void {
    if (this.#socket !== socket) return;
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    while (this.#pending.length > 0) {
      const head = this.#pending[0]!;
      let reply: { value: unknown; length: number } | undefined;
      try {
        reply = head.read(this.#buffer);
      } catch (error) {
        // An error line answers exactly this request; the stream stays in step.
        const line = errorLineLength(this.#buffer);
        this.#pending.shift();
        clearTimeout(head.timer);
        this.#buffer = this.#buffer.subarray(line);
        head.reject(error as Error);
        continue;
      }
      if (!reply) return;
      this.#pending.shift();
      clearTimeout(head.timer);
      this.#buffer = this.#buffer.subarray(reply.length);
      head.resolve(reply.value);
    }
  }

  #fail(error: Error): void {
    const pending = this.#pending;
    this.#pending = [];
    const socket = this.#socket;
    this.#socket = undefined;
    this.#buffer = Buffer.alloc(0);
    socket?.destroy();
    for (const request of pending) {
      clearTimeout(request.timer);
      request.reject(error);
    }
  }
}

/** Throws for memcached's error replies, which can answer any command. */
function checkError(line: string): void {
  if (line === 'ERROR' || line.startsWith('CLIENT_ERROR') || line.startsWith('SERVER_ERROR')) {
    throw new Error(`memcached: ${line}`);
  }
}

function errorLineLength(buffer: Buffer): number {
  const end = buffer.indexOf(crlf);
  return end < 0 ? buffer.length : end + 2;
}

const readLine: ReplyReader<ReplyWord> = (buffer) => {
  const end = buffer.indexOf(crlf);
  if (end < 0) return undefined;
  const line = buffer.toString('latin1', 0, end);
  checkError(line);
  return { value: line, length: end + 2 };
};

/** `VALUE <key> <flags> <bytes> <cas>\r\n<data>\r\n` ... `END\r\n`. */
const readItems: ReplyReader<MemcachedItem[]> = (buffer) => {
  const items: MemcachedItem[] = [];
  let offset = 0;
  for (;;) {
    const end = buffer.indexOf(crlf, offset);
    if (end < 0) return undefined;
    const line = buffer.toString('latin1', offset, end);
    if (line === 'END') return { value: items, length: end + 2 };
    if (items.length === 0) checkError(line);
    const [word, key, flags, bytes, cas] = line.split(' ');
    if (word !== 'VALUE' || key === undefined || cas === undefined) throw new Error(`memcached: unexpected reply '${line}'`);
    const size = Number(bytes);
    const dataEnd = end + 2 + size;
    if (buffer.length < dataEnd + 2) return undefined;
    items.push({ key, flags: Number(flags), cas, value: Buffer.from(buffer.subarray(end + 2, dataEnd)) });
    offset = dataEnd + 2;
  }
};
