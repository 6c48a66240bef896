import type { Dispatcher, Pool } from 'undici';
import { loadUndici } from './load-undici.ts';
import type { AppChannel, InvokeRequest, InvokeResponse } from './app-channel.ts';
import { describeTransportError, directInvokeError } from './direct-invoke-error.ts';
import { withoutHopByHopHeaders } from './hop-by-hop-headers.ts';
import { waitForTcpPort, type WaitForPortOptions } from './wait-for-tcp-port.ts';

export interface HttpAppChannelOptions {
  /** daprd's `--app-channel-address`. Default `127.0.0.1`. */
  host?: string;
  /** daprd's `--app-port`. */
  port: number;
  /** daprd's `--app-protocol` for HTTP apps. Default `http`. */
  protocol?: 'http' | 'https';
  /** `APP_API_TOKEN`: sent to the app as the `dapr-api-token` header on every call. */
  appApiToken?: string;
  /** daprd's `--app-max-concurrency`: at most this many calls in flight; -1 or 0 is unlimited. */
  maxConcurrency?: number;
  /** Fails a call whose answer does not arrive (headers, or the gap between body chunks) within this; none by default, like daprd without a resiliency policy. */
  timeoutMs?: number;
  /** Named in error messages. */
  appId?: string;
}

/**
 * The sidecar's HTTP connection to its own app: keep-alive connections to
 * `http(s)://host:port`, one request per connection at a time, so `maxConcurrency`
 * connections is exactly the concurrency limit.
 */
export class HttpAppChannel implements AppChannel {
  readonly host: string;
  readonly port: number;
  readonly protocol: 'http' | 'https';
  readonly maxConcurrency: number;
  /** `http://127.0.0.1:3000`, for logs and the metadata API. */
  readonly address: string;
  readonly #appApiToken: string | undefined;
  readonly #appName: string;
  readonly #poolOptions: Pool.Options;
  #pool: Pool | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: HttpAppChannelOptions) {
    if (!Number.isInteger(options.port) || options.port <= 0 || options.port > 65535) {
      throw new RangeError(`app port must be an integer from 1 to 65535, got ${options.port}`);
    }
    this.host = options.host || '127.0.0.1';
    this.port = options.port;
    this.protocol = options.protocol ?? 'http';
    this.maxConcurrency = options.maxConcurrency !== undefined && options.maxConcurrency > 0 ? options.maxConcurrency : -1;
    const hostInUrl = this.host.includes(':') ? `[${this.host}]` : this.host;
    this.address = `${this.protocol}://${hostInUrl}:${this.port}`;
    this.#appApiToken = options.appApiToken || undefined;
    this.#appName = options.appId ? `app ${options.appId}` : 'the app';
    const timeout = options.timeoutMs ?? 0;
    this.#poolOptions = {
      connections: this.maxConcurrency > 0 ? this.maxConcurrency : null,
      pipelining: 1,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      // daprd does not verify the app's certificate for `--app-protocol https`: apps commonly use self-signed ones.
      connect: this.protocol === 'https' ? { rejectUnauthorized: false } : undefined,
    };
  }

  async #connectionPool(): Promise<Pool> {
    if (this.#pool) return this.#pool;
    const { Pool } = await loadUndici();
    this.#pool ??= new Pool(this.address, this.#poolOptions);
    return this.#pool;
  }

  async invoke(request: InvokeRequest): Promise<InvokeResponse> {
    const headers = withoutHopByHopHeaders(request.headers, 'request');
    if (this.#appApiToken) headers['dapr-api-token'] = this.#appApiToken;
    const path = `/${request.method.replace(/^\/+/, '')}${request.query ? `?${request.query}` : ''}`;
    let response: Dispatcher.ResponseData;
    try {
      const pool = this.#pool ?? (await this.#connectionPool());
      response = await pool.request({
        path,
        method: request.httpVerb.toUpperCase() as Dispatcher.HttpMethod,
        headers,
        body: request.body.byteLength > 0 ? request.body : null,
        signal: request.signal ?? null,
      });
    } catch (error) {
      throw this.#failure(request, error);
    }
    let body: ArrayBuffer;
    try {
      body = await response.body.arrayBuffer();
    } catch (error) {
      throw this.#failure(request, error);
    }
    return {
      status: response.statusCode,
      headers: withoutHopByHopHeaders(response.headers, 'response'),
      body: new Uint8Array(body),
    };
  }

  /** A GET to the app, for the runtime's own calls such as `GET /dapr/subscribe` or `GET /dapr/config`. */
  get(path: string, headers: Record<string, string> = {}): Promise<InvokeResponse> {
    const queryAt = path.indexOf('?');
    return this.invoke({
      method: queryAt < 0 ? path : path.slice(0, queryAt),
      query: queryAt < 0 ? '' : path.slice(queryAt + 1),
      httpVerb: 'GET',
      headers,
      body: new Uint8Array(0),
    });
  }

  /** Resolves once the app port accepts TCP connections, as daprd waits before it subscribes and reports healthy. */
  waitForPort(options: WaitForPortOptions = {}): Promise<void> {
    return waitForTcpPort(this.host, this.port, options);
  }

  close(): Promise<void> {
    this.#closed ??= this.#pool?.close() ?? Promise.resolve();
    return this.#closed;
  }

  #failure(request: InvokeRequest, error: unknown): Error {
    if (request.signal?.aborted) return request.signal.reason instanceof Error ? request.signal.reason : (error as Error);
    return directInvokeError(
      `error invoking ${this.#appName} at ${this.address}: ${request.httpVerb.toUpperCase()} /${request.method.replace(/^\/+/, '')}: ${describeTransportError(error)}`,
      { cause: error, metadata: { address: this.address } },
    );
  }
}
