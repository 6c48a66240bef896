import * as grpc from '@grpc/grpc-js';
import { daprProtos } from '../../src/grpc/protos.ts';

/** A failed call as grpc-js reports it. */
export type CallError = grpc.ServiceError;

/**
 * A raw grpc-js client of `dapr.proto.runtime.v1.Dapr`, built from the same published protos
 * mechad serves, with promise-returning calls by method name. Messages use the .proto field
 * names (snake_case), as the loader is configured.
 */
export class DaprGrpcClient {
  readonly raw: grpc.Client;

  constructor(port: number, options: grpc.ClientOptions = {}) {
    const { dapr } = daprProtos();
    this.raw = new dapr(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options);
  }

  /** Calls a unary method; resolves with the response, or rejects with the ServiceError. */
  call<T = Record<string, unknown>>(method: string, request: Record<string, unknown>, metadata: Record<string, string> = {}): Promise<T> {
    const md = new grpc.Metadata();
    for (const [key, value] of Object.entries(metadata)) md.set(key, value);
    const fn = (this.raw as unknown as Record<string, grpc.requestCallback<T> & ((...args: unknown[]) => void)>)[method];
    if (typeof fn !== 'function') throw new Error(`no method ${method} on the Dapr service`);
    return new Promise<T>((resolve, reject) => {
      fn.call(this.raw, request, md, (error: grpc.ServiceError | null, response: T) => (error ? reject(error) : resolve(response)));
    });
  }

  /** Like `call`, but also resolves the response's header metadata (or the error's, with its status). */
  callWithHeaders<T = Record<string, unknown>>(
    method: string,
    request: Record<string, unknown>,
    metadata: Record<string, string> = {},
  ): Promise<{ response?: T; error?: CallError; headers: grpc.Metadata }> {
    const md = new grpc.Metadata();
    for (const [key, value] of Object.entries(metadata)) md.set(key, value);
    const fn = (this.raw as unknown as Record<string, (...args: unknown[]) => grpc.ClientUnaryCall>)[method]!;
    return new Promise((resolve) => {
      let headers = new grpc.Metadata();
      const call = fn.call(this.raw, request, md, (error: grpc.ServiceError | null, response: T) => {
        // 'metadata' is emitted before the callback runs when the server sent headers.
        setImmediate(() => resolve(error ? { error, headers } : { response, headers }));
      });
      call.on('metadata', (received: grpc.Metadata) => (headers = received));
    });
  }

  /**
   * Sends `bytes` as the serialized request of `method`, bypassing the message encoder: for
   * malformed input. Resolves with the status the server answered.
   */
  sendRaw(method: string, bytes: Buffer, metadata: Record<string, string> = {}): Promise<grpc.StatusObject> {
    const path = `/dapr.proto.runtime.v1.Dapr/${method}`;
    const md = new grpc.Metadata();
    for (const [key, value] of Object.entries(metadata)) md.set(key, value);
    return new Promise((resolve) => {
      const call = this.raw.makeUnaryRequest(
        path,
        (value: Buffer) => value,
        (value: Buffer) => value,
        bytes,
        md,
        () => {},
      );
      call.on('status', (status: grpc.StatusObject) => resolve(status));
    });
  }

  close(): void {
    this.raw.close();
  }
}

export interface RichError {
  code: number;
  message: string;
  errorInfo?: { reason: string; domain: string; metadata: Record<string, string> };
  resourceInfo?: { resource_type: string; resource_name: string; description: string };
  detailTypes: string[];
}

/** Decodes the `grpc-status-details-bin` trailer daprd (and mechad) attach to an error. */
export function richError(error: { code: number; details: string; metadata: grpc.Metadata }): RichError {
  const { root } = daprProtos();
  const out: RichError = { code: error.code, message: error.details, detailTypes: [] };
  const [bin] = error.metadata.get('grpc-status-details-bin');
  if (!bin) return out;
  const status = root.lookupType('google.rpc.Status').toObject(root.lookupType('google.rpc.Status').decode(bin as Buffer), { defaults: true }) as {
    details: { type_url: string; value: Uint8Array }[];
  };
  for (const detail of status.details) {
    const typeName = detail.type_url.replace('type.googleapis.com/', '');
    out.detailTypes.push(typeName);
    const type = root.lookupType(typeName);
    const decoded = type.toObject(type.decode(detail.value), { defaults: true });
    if (typeName === 'google.rpc.ErrorInfo') out.errorInfo = decoded as RichError['errorInfo'];
    if (typeName === 'google.rpc.ResourceInfo') out.resourceInfo = decoded as RichError['resourceInfo'];
  }
  return out;
}

/** Resolves with the rejection of `promise` (a gRPC error), failing if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<CallError> {
  try {
    await promise;
  } catch (error) {
    return error as CallError;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
