import type { Dispatcher, Pool } from 'undici';
import { loadUndici } from './load-undici.ts';
import type { InvokeResponse } from './app-channel.ts';
import { describeTransportError, directInvokeError } from './direct-invoke-error.ts';
import { withoutHopByHopHeaders } from './hop-by-hop-headers.ts';
import { FORWARDED_BY_HEADER, FORWARDED_NAMESPACE_HEADER, type RemoteCall, type RemoteInvoker } from './remote-invoker.ts';

export interface HttpSidecarInvokerOptions {
  /** Sent as `dapr-api-token`, for target sidecars started with `DAPR_API_TOKEN` (usually the same token for every app of a run). */
  apiToken?: string;
  /** Fails a call whose answer does not arrive within this; none by default. */
  timeoutMs?: number;
}

/**
 * Forwards a call to the target sidecar's public HTTP API,
 * `/v1.0/invoke/<appId>/method/<method>`, over one keep-alive pool per sidecar address.
 */
export class HttpSidecarInvoker implements RemoteInvoker {
  readonly #apiToken: string | undefined;
  readonly #timeoutMs: number;
  readonly #pools = new Map<string, Pool>();
  #closed = false;

  constructor(options: HttpSidecarInvokerOptions = {}) {
    this.#apiToken = options.apiToken || undefined;
    this.#timeoutMs = options.timeoutMs ?? 0;
  }

  async invoke(call: RemoteCall): Promise<InvokeResponse> {
    if (this.#closed) throw directInvokeError(`failed to invoke ${call.targetAppId}: the sidecar invoker is closed`);
    const { address, request } = call;
    const host = address.host.includes(':') ? `[${address.host}]` : address.host;
    const origin = `http://${host}:${address.httpPort}`;
    const headers = withoutHopByHopHeaders(request.headers, 'request');
    delete headers['dapr-api-token'];
    if (this.#apiToken) headers['dapr-api-token'] = this.#apiToken;
    headers[FORWARDED_BY_HEADER] = call.callerAppId;
    headers[FORWARDED_NAMESPACE_HEADER] = call.callerNamespace;
    const method = request.method.replace(/^\/+/, '');
    const path = `/v1.0/invoke/${encodeURIComponent(call.targetAppId)}/method/${method}${request.query ? `?${request.query}` : ''}`;
    const pool = this.#pools.get(origin) ?? (await this.#pool(origin));
    try {
      const response = await pool.request({
        path,
        method: request.httpVerb.toUpperCase() as Dispatcher.HttpMethod,
        headers,
        body: request.body.byteLength > 0 ? request.body : null,
        signal: request.signal ?? null,
      });
      const body = await response.body.arrayBuffer();
      return {
        status: response.statusCode,
        headers: withoutHopByHopHeaders(response.headers, 'response'),
        body: new Uint8Array(body),
      };
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      // The address may be stale (the sidecar went away): stop keeping a pool for it.
      // close() lets other calls already on this pool finish.
      if (this.#pools.get(origin) === pool) {
        this.#pools.delete(origin);
        void pool.close().catch(() => undefined);
      }
      throw directInvokeError(
        `error reaching the sidecar of app ${address.appId} at ${origin}: ${describeTransportError(error)}`,
        { cause: error, metadata: { appId: address.appId, address: origin } },
      );
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }

  async #pool(origin: string): Promise<Pool> {
    const { Pool } = await loadUndici();
    let pool = this.#pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { headersTimeout: this.#timeoutMs, bodyTimeout: this.#timeoutMs });
      this.#pools.set(origin, pool);
    }
    return pool;
  }
}
