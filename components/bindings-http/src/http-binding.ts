import http from 'node:http';
import https from 'node:https';
import { BindingOperationError, type Binding, type BindingRequest, type BindingResponse } from '@mecha/bindings';
import { canonicalHeaderKey } from './canonical-header-key.ts';

export interface HttpBindingOptions {
  /** Base URL every request goes to; a request's `path` metadata is appended to it. */
  url: string;
  /** Whole-exchange limit per request (connect, send, answer, body); none when undefined. */
  responseTimeoutMs?: number;
  /** Longest response body kept; the rest is cut off, as Dapr does. ≤ 0: no limit. Default 100 MiB. */
  maxResponseBodyBytes?: number;
  /** PEM text: a CA to trust, and a client certificate and key for mutual TLS. */
  tls?: { ca?: string; cert?: string; key?: string };
  /** Sent on every request as header `securityTokenHeader`. */
  securityToken?: string;
  securityTokenHeader?: string;
  /** A non-2xx answer fails the call (default true); a request's `errorIfNot2XX` metadata overrides it. */
  errorIfNot2XX?: boolean;
}

const OPERATIONS = ['create', 'get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace'] as const;
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);
const JSON_UTF8 = 'application/json; charset=utf-8';
const MAX_REDIRECTS = 10;
/** Dropped when a redirect leaves the original host, as Go's client does. */
const SENSITIVE_HEADERS = ['authorization', 'www-authenticate', 'cookie', 'cookie2'];

/** Dapr's kit `IsTruthy`. */
function truthy(value: string): boolean {
  return ['y', 'yes', 'true', 't', 'on', '1'].includes(value.trim().toLowerCase());
}

/** Go's `url.Error` operation name for a method (`Get`, `Post`…), so messages read like daprd's. */
function op(method: string): string {
  return method.charAt(0) + method.slice(1).toLowerCase();
}

interface Answer {
  status: number;
  statusText: string;
  rawHeaders: string[];
  body: Buffer;
  location?: string;
}

/**
 * Dapr's `bindings.http`: an output binding that makes one HTTP request per invocation. The
 * operation is the method (`create` is `post`); `path` metadata extends the URL; metadata
 * keys starting with a capital letter become request headers; the answer's body is the data,
 * and its status (`statusCode`, `status`) and headers (Go's spelling, values joined by `, `)
 * the metadata. A non-2xx answer is an error unless `errorIfNot2XX` is false, and still
 * carries that metadata. Redirects are followed (at most 10), as Go's client does.
 */
export class HttpBinding implements Binding {
  readonly operations: readonly string[] = OPERATIONS;
  readonly #options: HttpBindingOptions;
  readonly #maxBody: number;
  readonly #httpAgent = new http.Agent({ keepAlive: true });
  readonly #httpsAgent: https.Agent;

  constructor(options: HttpBindingOptions) {
    const url = new URL(options.url); // throws on a URL that does not parse
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`url must be http or https, got ${url.protocol}`);
    this.#options = options;
    this.#maxBody = options.maxResponseBodyBytes ?? 100 * 2 ** 20;
    const { ca, cert, key } = options.tls ?? {};
    this.#httpsAgent = new https.Agent({
      keepAlive: true,
      minVersion: 'TLSv1.2',
      ...(ca ? { ca } : {}),
      ...(cert && key ? { cert, key } : {}),
    });
  }

  async invoke(request: BindingRequest): Promise<BindingResponse> {
    const metadata = request.metadata;
    let target = this.#options.url;
    if (metadata['path']) target = `${target.replace(/\/+$/, '')}/${metadata['path'].replace(/^\/+/, '')}`;
    const errorIfNot2XX = metadata['errorIfNot2XX'] ? truthy(metadata['errorIfNot2XX']) : (this.#options.errorIfNot2XX ?? true);
    let method = request.operation.toUpperCase();
    if (method === 'CREATE') method = 'POST'; // Dapr's old name for it
    if (!(OPERATIONS as readonly string[]).includes(method.toLowerCase())) throw new Error(`invalid operation: ${request.operation}`);

    const headers: Record<string, string> = {};
    let body: Uint8Array | undefined = WITH_BODY.has(method) ? request.data : undefined;
    if (body && metadata['Content-Type'] === undefined) headers['content-type'] = JSON_UTF8;
    if (metadata['Accept'] === undefined) headers['accept'] = JSON_UTF8;
    if (this.#options.securityToken && this.#options.securityTokenHeader) headers[this.#options.securityTokenHeader.toLowerCase()] = this.#options.securityToken;
    for (const [key, value] of Object.entries(metadata)) {
      const first = key.charCodeAt(0);
      if (first >= 65 && first <= 90) headers[key.toLowerCase()] = value;
    }
    for (const key of ['traceparent', 'tracestate', 'baggage']) {
      if (metadata[key]) headers[key] = metadata[key];
    }

    const signal = this.#options.responseTimeoutMs ? AbortSignal.timeout(this.#options.responseTimeoutMs) : undefined;
    let url = new URL(target);
    let answer: Answer;
    for (let redirects = 0; ; redirects++) {
      try {
        answer = await this.#exchange(url, method, headers, body, signal);
      } catch (error) {
        const reason = signal?.aborted ? `context deadline exceeded (responseTimeout ${this.#options.responseTimeoutMs} ms)` : (error as Error).message;
        throw new Error(`${op(method)} "${redacted(url)}": ${reason}`, { cause: error });
      }
      if (!answer.location || ![301, 302, 303, 307, 308].includes(answer.status)) break;
      if (redirects === MAX_REDIRECTS) throw new Error(`${op(method)} "${redacted(url)}": stopped after ${MAX_REDIRECTS} redirects`);
      const next = new URL(answer.location, url);
      if (next.host !== url.host) for (const name of SENSITIVE_HEADERS) delete headers[name];
      if (answer.status !== 307 && answer.status !== 308) {
        // 301/302/303 turn into a GET without a body (a HEAD stays a HEAD).
        if (method !== 'HEAD') method = 'GET';
        body = undefined;
        delete headers['content-type'];
      }
      url = next;
    }

    const responseMetadata: Record<string, string> = { statusCode: String(answer.status), status: `${answer.status} ${answer.statusText}`.trimEnd() };
    for (let i = 0; i + 1 < answer.rawHeaders.length; i += 2) {
      const name = canonicalHeaderKey(answer.rawHeaders[i]!);
      const value = answer.rawHeaders[i + 1]!;
      responseMetadata[name] = responseMetadata[name] === undefined ? value : `${responseMetadata[name]}, ${value}`;
    }
    const contentType = answer.rawHeaders.find((_, i, all) => i % 2 === 1 && all[i - 1]!.toLowerCase() === 'content-type');
    const response: BindingResponse = { data: answer.body, metadata: responseMetadata, ...(contentType ? { contentType } : {}) };
    if (errorIfNot2XX && (answer.status < 200 || answer.status > 299)) {
      throw new BindingOperationError(`received status code ${answer.status}`, response);
    }
    return response;
  }

  async close(): Promise<void> {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }

  #exchange(url: URL, method: string, headers: Record<string, string>, body: Uint8Array | undefined, signal: AbortSignal | undefined): Promise<Answer> {
    const transport = url.protocol === 'https:' ? https : http;
    const agent = url.protocol === 'https:' ? this.#httpsAgent : this.#httpAgent;
    return new Promise<Answer>((resolve, reject) => {
      const outgoing = transport.request(url, { method, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) }, agent, signal }, (incoming) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        let cut = false;
        incoming.on('data', (chunk: Buffer) => {
          if (cut) return;
          if (this.#maxBody > 0 && kept + chunk.length >= this.#maxBody) {
            chunks.push(chunk.subarray(0, this.#maxBody - kept));
            kept = this.#maxBody;
            cut = true;
            // Dapr keeps the first maxResponseBodySize bytes and drops the rest without an error.
            finish();
            incoming.destroy();
            return;
          }
          chunks.push(chunk);
          kept += chunk.length;
        });
        const finish = () =>
          resolve({
            status: incoming.statusCode ?? 0,
            statusText: incoming.statusMessage ?? '',
            rawHeaders: incoming.rawHeaders,
            body: Buffer.concat(chunks),
            ...(incoming.headers.location ? { location: incoming.headers.location } : {}),
          });
        incoming.on('end', finish);
        incoming.on('close', () => {
          if (!cut && !incoming.complete) reject(new Error('the server closed the connection mid-answer'));
        });
      });
      outgoing.on('error', reject);
      outgoing.end(body ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : undefined);
    });
  }
}

/**
 * The URL for an error message, its password replaced by `xxxxx` as Go's `url.Redacted` does:
 * the URL may come from a secret store, and errors reach the app and the logs.
 */
function redacted(url: URL): string {
  if (!url.password) return url.href;
  const copy = new URL(url.href);
  copy.password = 'xxxxx';
  return copy.href;
}
