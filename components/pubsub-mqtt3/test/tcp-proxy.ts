import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on a loopback port the test can take down and bring back, to cut the
 * component's connections to the broker without touching the broker others use.
 */
export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  /** Client sockets whose bytes no longer reach the broker. */
  readonly #held = new Set<Socket>();
  readonly #clients = new Set<Socket>();
  /** Bytes held back from the broker so far. */
  heldBytes = 0;
  #server: Server | undefined;
  #port = 0;

  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  get url(): string {
    return `tcp://127.0.0.1:${this.#port}`;
  }

  /** Listens (again, on the same port once it had one). */
  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.#target.port, this.#target.host);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {});
      }
      this.#clients.add(client);
      client.on('data', (chunk: Buffer) => {
        if (this.#held.has(client)) this.heldBytes += chunk.length;
        else upstream.write(chunk);
      });
      client.on('end', () => upstream.end());
      upstream.pipe(client);
      client.on('close', () => {
        this.#clients.delete(client);
        this.#held.delete(client);
        upstream.destroy();
      });
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  /**
   * From now on, what the connections open now send never reaches the broker (as if lost in
   * the network), while the broker's side still arrives; connections made later are normal.
   */
  holdToBroker(): void {
    for (const client of this.#clients) this.#held.add(client);
  }

  /** Cuts every connection and refuses new ones until `start()`. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
