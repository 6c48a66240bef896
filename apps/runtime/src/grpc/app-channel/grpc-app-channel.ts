import { isIP } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { directInvokeError, waitForTcpPort, type AppChannel, type InvokeRequest, type InvokeResponse, type WaitForPortOptions } from '@mecha/invocation';
import { daprProtos } from '../protos.ts';
import { ConcurrencyLimit } from './concurrency-limit.ts';
import { httpStatusOfGrpcCode, statusDetails, statusJson, type AnyMessage, type GrpcCallStatus } from './grpc-status-to-http.ts';
import { headersFromMetadata, metadataFromHeaders, metadataFromMap } from './metadata-conversion.ts';
import type { TopicEventBulkRequestMessage, TopicEventBulkResponseMessage } from './topic-event-bulk-request.ts';
import type { TopicEventRequestMessage } from './topic-event-request.ts';
import type { TopicSubscriptionMessage } from './topic-subscriptions.ts';

export interface GrpcAppChannelOptions {
  /** daprd's `--app-channel-address`. Default `127.0.0.1`. */
  host?: string;
  /** daprd's `--app-port`. */
  port: number;
  /** `--app-protocol grpcs`: TLS without verifying the app's certificate, as daprd does. */
  tls?: boolean;
  /** `APP_API_TOKEN`: sent as `dapr-api-token` metadata on every call. */
  appApiToken?: string;
  /** daprd's `--app-max-concurrency`: at most this many calls in flight; -1 or 0 is unlimited. */
  maxConcurrency?: number;
  /** Largest message sent to or accepted from the app (daprd uses its max request body size). Default 4 MiB. */
  maxMessageBytes?: number;
  /** Named in error messages. */
  appId?: string;
}

/** An invocation call; a gRPC caller's `Any.type_url` can ride along (HTTP callers have none). */
export interface GrpcInvokeRequest extends InvokeRequest {
  dataTypeUrl?: string;
}

/**
 * The app's answer in HTTP terms (what the invocation API hands an HTTP caller), plus the
 * gRPC answer itself for callers that speak gRPC and want the exact status.
 */
export interface GrpcInvokeResponse extends InvokeResponse {
  grpc: {
    status: GrpcCallStatus;
    /** The `type_url` of the response's `Any`; empty when the app set none. */
    dataTypeUrl: string;
    contentType: string;
    headers: grpc.Metadata;
    trailers: grpc.Metadata;
  };
}

/** `common.v1.InvokeResponse` in the proto loader's object form. */
interface InvokeResponseMessage {
  data: AnyMessage | null;
  content_type: string;
}

/** The app services the sidecar calls. */
type AppService = 'AppCallback' | 'AppCallbackHealthCheck' | 'AppCallbackAlpha';

/** Where a gRPC app takes bulk topic events: AppCallback's stable method, or the alpha service older SDKs serve. */
export type BulkTopicEventMethod = 'OnBulkTopicEvent' | 'OnBulkTopicEventAlpha1';

type UnaryOutcome<Res> =
  | { ok: true; response: Res; headers: grpc.Metadata; trailers: grpc.Metadata }
  | { ok: false; error: grpc.ServiceError; headers: grpc.Metadata };

const verbs = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The gRPC side of an answer from a gRPC app, for callers that speak gRPC; undefined for any other answer. */
export function grpcAnswerOf(response: InvokeResponse): GrpcInvokeResponse['grpc'] | undefined {
  const grpcPart = (response as Partial<GrpcInvokeResponse>).grpc;
  return grpcPart && typeof grpcPart === 'object' && 'status' in grpcPart ? grpcPart : undefined;
}

/** True for the error a grpc-js call fails with (a status from the app or the transport). */
export function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === 'number' && 'metadata' in error;
}

/**
 * The sidecar's gRPC connection to its own app (`--app-protocol grpc|grpcs`): calls the
 * app's `dapr.proto.runtime.v1.AppCallback` service (and AppCallbackHealthCheck, AppCallbackAlpha) over one
 * HTTP/2 connection. Invocations answer in HTTP terms as daprd answers an HTTP caller:
 * 200 with the app's data and content type, or the gRPC error's HTTP status with the
 * status as JSON.
 */
export class GrpcAppChannel implements AppChannel {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** `127.0.0.1:50051`, for logs. */
  readonly address: string;
  readonly #client: grpc.Client;
  readonly #appApiToken: string | undefined;
  readonly #appName: string;
  readonly #limit: ConcurrencyLimit;
  #closed = false;

  constructor(options: GrpcAppChannelOptions) {
    if (!Number.isInteger(options.port) || options.port <= 0 || options.port > 65535) {
      throw new RangeError(`app port must be an integer from 1 to 65535, got ${options.port}`);
    }
    this.host = options.host || '127.0.0.1';
    this.port = options.port;
    this.tls = options.tls ?? false;
    this.address = `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
    this.#appApiToken = options.appApiToken || undefined;
    this.#appName = options.appId ? `app ${options.appId}` : 'the app';
    this.#limit = new ConcurrencyLimit(options.maxConcurrency ?? -1);
    const maxBytes = options.maxMessageBytes ?? 4 * 1024 * 1024;
    const credentials = this.tls
      ? // Apps commonly serve self-signed certificates; daprd does not verify them either.
        grpc.credentials.createSsl(null, null, null, { rejectUnauthorized: false, checkServerIdentity: () => undefined })
      : grpc.credentials.createInsecure();
    this.#client = new grpc.Client(this.address, credentials, {
      'grpc.max_send_message_length': maxBytes,
      'grpc.max_receive_message_length': maxBytes,
      // TLS forbids an IP address as the server name (SNI); unverified anyway, so name a host instead.
      ...(this.tls && isIP(this.host) ? { 'grpc.ssl_target_name_override': 'localhost' } : {}),
    });
  }

  /** Calls OnInvoke. A gRPC error from the app (or from reaching it) is an answer, not a throw, as in daprd. */
  async invoke(request: GrpcInvokeRequest): Promise<GrpcInvokeResponse> {
    const verb = request.httpVerb.toUpperCase();
    const message = {
      method: request.method,
      data: { type_url: request.dataTypeUrl ?? '', value: Buffer.from(request.body) },
      content_type: single(request.headers['content-type']) ?? '',
      // daprd sends POST for a verb the protocol has no name for; a call without one (a gRPC caller's) keeps NONE.
      http_extension: { verb: verb === '' || verb === 'NONE' ? 'NONE' : verbs.has(verb) ? verb : 'POST', querystring: request.query },
    };
    let outcome: UnaryOutcome<InvokeResponseMessage>;
    try {
      outcome = await this.#limit.run(
        () => this.#call<InvokeResponseMessage>('AppCallback', 'OnInvoke', message, metadataFromHeaders(request.headers), request.signal),
        request.signal,
      );
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason instanceof Error ? request.signal.reason : error;
      throw directInvokeError(`error invoking ${this.#appName} at ${this.address}: ${(error as Error).message}`, { cause: error });
    }
    if (!outcome.ok && request.signal?.aborted) {
      throw request.signal.reason instanceof Error ? request.signal.reason : outcome.error;
    }
    if (outcome.ok) {
      const data = outcome.response.data;
      const dataTypeUrl = data?.type_url ?? '';
      const contentType = dataTypeUrl ? 'application/x-protobuf' : outcome.response.content_type;
      const headers = headersFromMetadata(outcome.headers);
      if (contentType) headers['content-type'] = contentType;
      return {
        status: 200,
        headers,
        body: data?.value ?? new Uint8Array(0),
        grpc: {
          status: { code: grpc.status.OK, message: '', details: [] },
          dataTypeUrl,
          contentType: outcome.response.content_type,
          headers: outcome.headers,
          trailers: outcome.trailers,
        },
      };
    }
    const { error } = outcome;
    const status: GrpcCallStatus = { code: error.code, message: error.details, details: statusDetails(error.metadata) };
    const headers = headersFromMetadata(outcome.headers);
    headers['content-type'] = 'application/json';
    return {
      status: httpStatusOfGrpcCode(error.code),
      headers,
      body: statusJson(status),
      grpc: { status, dataTypeUrl: '', contentType: '', headers: outcome.headers, trailers: error.metadata },
    };
  }

  /** The app's subscriptions (ListTopicSubscriptions); rejects with the call's ServiceError. */
  async listTopicSubscriptions(signal?: AbortSignal): Promise<TopicSubscriptionMessage[]> {
    const answer = await this.#unary<{ subscriptions: TopicSubscriptionMessage[] }>('AppCallback', 'ListTopicSubscriptions', {}, new grpc.Metadata(), signal);
    return answer.subscriptions ?? [];
  }

  /** The input bindings the app serves (ListInputBindings); rejects with the call's ServiceError. */
  async listInputBindings(signal?: AbortSignal): Promise<string[]> {
    const answer = await this.#unary<{ bindings: string[] }>('AppCallback', 'ListInputBindings', {}, new grpc.Metadata(), signal);
    return answer.bindings ?? [];
  }

  /** Delivers one input binding event (OnBindingEvent); its metadata travels in the request, as daprd sends it. Rejects with the call's ServiceError. */
  async onBindingEvent(request: { name: string; data: Buffer; metadata: Record<string, string> }): Promise<void> {
    await this.#limit.run(() => this.#unary('AppCallback', 'OnBindingEvent', request, new grpc.Metadata()));
  }

  /** Delivers one event (OnTopicEvent) with the message metadata as gRPC metadata; rejects with the call's ServiceError. */
  onTopicEvent(request: TopicEventRequestMessage, metadata: Readonly<Record<string, string>>): Promise<{ status: string | number }> {
    return this.#limit.run(() => this.#unary<{ status: string | number }>('AppCallback', 'OnTopicEvent', request, metadataFromMap(metadata)));
  }

  /** Delivers a batch (OnBulkTopicEvent or AppCallbackAlpha's OnBulkTopicEventAlpha1); rejects with the call's ServiceError. */
  onBulkTopicEvent(
    method: BulkTopicEventMethod,
    request: TopicEventBulkRequestMessage,
    metadata: Readonly<Record<string, string>>,
  ): Promise<TopicEventBulkResponseMessage> {
    const service = method === 'OnBulkTopicEvent' ? 'AppCallback' : 'AppCallbackAlpha';
    return this.#limit.run(() => this.#unary<TopicEventBulkResponseMessage>(service, method, request, metadataFromMap(metadata)));
  }

  /** AppCallbackHealthCheck.HealthCheck: resolves when the app answers OK. (For `--enable-app-health-check`.) */
  async healthProbe(signal?: AbortSignal): Promise<void> {
    await this.#unary('AppCallbackHealthCheck', 'HealthCheck', {}, new grpc.Metadata(), signal);
  }

  /** Resolves once the app port accepts TCP connections, as daprd waits for a gRPC app too. */
  waitForPort(options: WaitForPortOptions = {}): Promise<void> {
    return waitForTcpPort(this.host, this.port, options);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.close();
  }

  async #unary<Res>(service: AppService, method: string, request: unknown, metadata: grpc.Metadata, signal?: AbortSignal): Promise<Res> {
    const outcome = await this.#call<Res>(service, method, request, metadata, signal);
    if (!outcome.ok) throw outcome.error;
    return outcome.response;
  }

  /** One unary call, with the response headers and trailers the app sent. */
  #call<Res>(
    service: AppService,
    method: string,
    request: unknown,
    metadata: grpc.Metadata,
    signal?: AbortSignal,
  ): Promise<UnaryOutcome<Res>> {
    const protos = daprProtos();
    const client = service === 'AppCallback' ? protos.appCallback : service === 'AppCallbackAlpha' ? protos.appCallbackAlpha : protos.appCallbackHealthCheck;
    const definition = client.service[method]!;
    if (this.#appApiToken) metadata.set('dapr-api-token', this.#appApiToken);
    return new Promise((resolve) => {
      signal?.throwIfAborted();
      let headers = new grpc.Metadata();
      let failure: grpc.ServiceError | null = null;
      let value: Res | undefined;
      const call = this.#client.makeUnaryRequest<unknown, Res>(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize as (bytes: Buffer) => Res,
        request,
        metadata,
        {},
        (error, response) => {
          failure = error;
          value = response;
        },
      );
      const onAbort = (): void => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      call.on('metadata', (received: grpc.Metadata) => (headers = received));
      // grpc-js reports the status right after the callback: both are known here.
      call.on('status', (status: grpc.StatusObject) => {
        signal?.removeEventListener('abort', onAbort);
        if (failure) resolve({ ok: false, error: failure, headers });
        else resolve({ ok: true, response: value as Res, headers, trailers: status.metadata });
      });
    });
  }
}
