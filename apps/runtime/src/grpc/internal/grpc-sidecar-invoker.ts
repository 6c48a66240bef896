import * as grpc from '@grpc/grpc-js';
import { errorMessage, isMechaError } from '@mecha/core';
import { directInvokeError, type InvokeResponse, type RemoteCall, type RemoteInvoker } from '@mecha/invocation';
import { daprProtos } from '../protos.ts';
import { toInternalInvokeRequest } from './internal-invoke-request.ts';
import { fromInternalInvokeResponse } from './internal-invoke-response.ts';
import type {
  InternalInvokeRequest,
  InternalInvokeRequestStream,
  InternalInvokeResponse,
  InternalInvokeResponseStream,
} from './internal-messages.ts';
import { PayloadCollector, toPayloads } from './stream-payload.ts';

export interface GrpcSidecarInvokerOptions {
  /** Largest message sent or received (`--max-body-size`), as daprd limits its sidecar calls. */
  maxMessageBytes?: number;
  /** Fails a call whose answer has not fully arrived within this; none by default. */
  timeoutMs?: number;
}

interface ServiceInvocationClient extends grpc.Client {
  CallLocal(
    request: InternalInvokeRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<InternalInvokeResponse>,
  ): grpc.ClientUnaryCall;
  CallLocalStream(metadata: grpc.Metadata, options: grpc.CallOptions): grpc.ClientDuplexStream<InternalInvokeRequestStream, InternalInvokeResponseStream>;
}

/** The other sidecar has no CallLocalStream (daprd before 1.10). */
class StreamUnimplemented extends Error {
  readonly original: grpc.ServiceError;

  constructor(original: grpc.ServiceError) {
    super(original.details);
    this.original = original;
  }
}

/** A failure the remote sidecar answered or the transport reported, with its gRPC status. */
function isServiceError(error: unknown): error is grpc.ServiceError {
  return typeof (error as grpc.ServiceError | null)?.code === 'number' && 'details' in (error as object);
}

/** daprd's wording of a gRPC failure (`rpc error: code = Internal desc = ...`), which callers already know. */
function describe(error: grpc.ServiceError): string {
  const name = grpc.status[error.code] ?? String(error.code);
  const code = name
    .toLowerCase()
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
  return `rpc error: code = ${code === 'Ok' ? 'OK' : code} desc = ${error.details}`;
}

/**
 * Carries calls to other sidecars over Dapr's internal protocol,
 * `dapr.proto.internals.v1.ServiceInvocation`, on the port name resolution gives as
 * `internalGrpcPort`, so the other sidecar can be a mechad or a daprd. Like daprd it sends
 * `CallLocalStream` and falls back to `CallLocal` when the other side does not implement
 * the stream. One client (one HTTP/2 connection) per sidecar address.
 */
export class GrpcSidecarInvoker implements RemoteInvoker {
  readonly #maxMessageBytes: number;
  readonly #timeoutMs: number;
  readonly #clients = new Map<string, ServiceInvocationClient>();
  #closed = false;

  constructor(options: GrpcSidecarInvokerOptions = {}) {
    this.#maxMessageBytes = options.maxMessageBytes ?? 4 * 1024 * 1024;
    this.#timeoutMs = options.timeoutMs ?? 0;
  }

  async invoke(call: RemoteCall): Promise<InvokeResponse> {
    if (this.#closed) throw directInvokeError(`failed to invoke ${call.targetAppId}: the sidecar invoker is closed`);
    const { address, request } = call;
    if (!address.internalGrpcPort) {
      throw directInvokeError(`the sidecar of app ${address.appId} at ${address.host} announced no internal gRPC port`, {
        metadata: { appId: address.appId },
      });
    }
    const host = address.host.includes(':') ? `[${address.host}]` : address.host;
    const target = `${host}:${address.internalGrpcPort}`;
    const client = this.#client(target);
    const callOptions: grpc.CallOptions = this.#timeoutMs > 0 ? { deadline: Date.now() + this.#timeoutMs } : {};
    try {
      try {
        return await this.#stream(client, call, callOptions);
      } catch (error) {
        if (!(error instanceof StreamUnimplemented)) throw error;
        // An older sidecar without CallLocalStream: our body is in memory, so the call can be sent again as unary.
        return await this.#unary(client, call, callOptions);
      }
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      if (!isServiceError(error)) throw error;
      // The address may be stale (the sidecar went away): stop keeping a connection to it.
      if (error.code === grpc.status.UNAVAILABLE && this.#clients.get(target) === client) {
        this.#clients.delete(target);
        client.close();
      }
      throw directInvokeError(`error invoking the sidecar of app ${address.appId} at ${target}: ${describe(error)}`, {
        cause: error,
        metadata: { appId: address.appId, address: target },
      });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }

  #client(target: string): ServiceInvocationClient {
    let client = this.#clients.get(target);
    if (!client) {
      const Client = daprProtos().serviceInvocation as unknown as new (
        address: string,
        credentials: grpc.ChannelCredentials,
        options: grpc.ClientOptions,
      ) => ServiceInvocationClient;
      client = new Client(target, grpc.credentials.createInsecure(), {
        'grpc.max_receive_message_length': this.#maxMessageBytes,
        'grpc.max_send_message_length': this.#maxMessageBytes,
      });
      this.#clients.set(target, client);
    }
    return client;
  }

  #unary(client: ServiceInvocationClient, call: RemoteCall, options: grpc.CallOptions): Promise<InvokeResponse> {
    const { signal } = call.request;
    return new Promise((resolve, reject) => {
      const pending = client.CallLocal(toInternalInvokeRequest(call, true), new grpc.Metadata(), options, (error, response) => {
        signal?.removeEventListener('abort', cancel);
        if (error) return reject(error);
        if (!response?.status) return reject(directInvokeError('the sidecar answered CallLocal without a status'));
        resolve(fromInternalInvokeResponse(response, response.message?.data?.value ?? new Uint8Array(0)));
      });
      const cancel = () => pending.cancel();
      signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  #stream(client: ServiceInvocationClient, call: RemoteCall, options: grpc.CallOptions): Promise<InvokeResponse> {
    const { signal } = call.request;
    return new Promise((resolve, reject) => {
      const stream = client.CallLocalStream(new grpc.Metadata(), options);
      const cancel = () => stream.cancel();
      signal?.addEventListener('abort', cancel, { once: true });
      let head: InternalInvokeResponse | undefined;
      const body = new PayloadCollector();
      let settled = false;
      const settle = (error: unknown, response?: InvokeResponse) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', cancel);
        if (error) {
          stream.cancel();
          reject(error);
        } else resolve(response!);
      };
      stream.on('data', (chunk: InternalInvokeResponseStream) => {
        try {
          if (!head) {
            if (!chunk.response?.status) throw directInvokeError('response does not contain the required fields in the leading chunk');
            head = chunk.response;
          } else if (chunk.response) {
            throw directInvokeError('response metadata found in non-leading chunk');
          }
          if (chunk.payload) body.add(chunk.payload);
        } catch (error) {
          settle(isMechaError(error) ? error : directInvokeError(errorMessage(error)));
        }
      });
      stream.on('error', (error: grpc.ServiceError) => {
        settle(error.code === grpc.status.UNIMPLEMENTED && !head ? new StreamUnimplemented(error) : error);
      });
      stream.on('end', () => {
        if (!head) settle(directInvokeError('the sidecar closed CallLocalStream without answering'));
        else settle(undefined, fromInternalInvokeResponse(head, body.body()));
      });

      const payloads = toPayloads(call.request.body);
      stream.write({ request: toInternalInvokeRequest(call, false), payload: payloads[0] ?? null });
      for (const payload of payloads.slice(1)) stream.write({ request: null, payload });
      stream.end();
    });
  }
}
