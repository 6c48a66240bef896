import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';

export interface EtcdTls {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface EtcdGatewayOptions {
  /** `host:port` or `http(s)://host:port` of each cluster member. */
  endpoints: readonly string[];
  /** How long one request may take. */
  timeoutMs: number;
  /** Use HTTPS with these PEM credentials. */
  tls?: EtcdTls;
}

/** An error the server answered with (as opposed to one reaching it). */
export class EtcdServerError extends Error {
  override readonly name = 'EtcdServerError';
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * Calls etcd's v3 API through its JSON gateway (`POST /v3/<service>/<method>`, bytes as base64,
 * 64-bit integers as strings), which every etcd 3.4+ server serves on its client port. A member
 * that cannot be reached is skipped for the next one; the server's own errors are not retried.
 */
export class EtcdGateway {
  readonly #endpoints: URL[];
  readonly #timeoutMs: number;
  readonly #tls: EtcdTls | undefined;
  readonly #agent: HttpAgent | HttpsAgent;
  #current = 0;

  constructor(options: EtcdGatewayOptions) {
    if (options.endpoints.length === 0) throw new Error('no etcd endpoint given');
    const scheme = options.tls ? 'https' : 'http';
    this.#endpoints = options.endpoints.map((endpoint) => {
      const url = new URL(/^[a-z]+:\/\//i.test(endpoint) ? endpoint : `${scheme}://${endpoint}`);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`invalid etcd endpoint '${endpoint}'`);
      return url;
    });
    this.#timeoutMs = options.timeoutMs;
    this.#tls = options.tls;
    this.#agent = options.tls ? new HttpsAgent({ keepAlive: true, ...options.tls }) : new HttpAgent({ keepAlive: true });
  }

  get endpoints(): string {
    return this.#endpoints.map((url) => url.host).join(', ');
  }

  async call<T>(path: string, body: unknown): Promise<T> {
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < this.#endpoints.length; attempt += 1) {
      const endpoint = this.#endpoints[this.#current]!;
      try {
        return (await this.#post(endpoint, path, body)) as T;
      } catch (error) {
        if (error instanceof EtcdServerError) throw error;
        lastError = error as Error;
        this.#current = (this.#current + 1) % this.#endpoints.length;
      }
    }
    throw new Error(`etcd at ${this.endpoints} is unreachable: ${lastError?.message}`, { cause: lastError });
  }

  close(): void {
    this.#agent.destroy();
  }

  #post(endpoint: URL, path: string, body: unknown): Promise<unknown> {
    const payload = Buffer.from(JSON.stringify(body));
    const https = endpoint.protocol === 'https:';
    const send = https ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const request = send(
        new URL(path, endpoint),
        {
          method: 'POST',
          agent: this.#agent,
          headers: { 'content-type': 'application/json', 'content-length': payload.byteLength },
          timeout: this.#timeoutMs,
          ...(https ? this.#tls : {}),
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: { error?: string; message?: string } & Record<string, unknown>;
            try {
              parsed = JSON.parse(text) as typeof parsed;
            } catch {
              reject(new EtcdServerError(response.statusCode ?? 0, `etcd answered ${response.statusCode} with a body that is not JSON`));
              return;
            }
            if ((response.statusCode ?? 500) >= 300) {
              reject(new EtcdServerError(response.statusCode ?? 0, `etcd: ${parsed.message ?? parsed.error ?? text}`));
              return;
            }
            resolve(parsed);
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error(`etcd ${endpoint.host} did not answer within ${this.#timeoutMs} ms`)));
      request.on('error', reject);
      request.end(payload);
    });
  }
}

export const b64 = (bytes: Uint8Array | string): string =>
  (typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('base64');
