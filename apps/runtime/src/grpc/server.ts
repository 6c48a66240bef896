import { timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@mecha/core';
import type { DaprHandlers } from './handlers.ts';
import { unimplementedHandler } from './unimplemented.ts';

export interface GrpcServerOptions {
  /** The service definition (`daprProtos().dapr.service`, …). */
  service: grpc.ServiceDefinition;
  /** Implemented methods; every other method of the service answers UNIMPLEMENTED naming its block. */
  handlers: DaprHandlers;
  maxMessageBytes: number;
  /** With DAPR_API_TOKEN set, every call must carry it in `dapr-api-token` metadata. */
  apiToken?: string;
  logger: Logger;
  /** Logs each call (`--enable-api-logging`). */
  apiLogging?: boolean;
}

function tokenMatches(given: grpc.MetadataValue | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(String(given));
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const unauthenticated = { code: grpc.status.UNAUTHENTICATED, details: 'authentication error: api token mismatch' };

/** Wraps a handler with the API-token check and, if asked, API logging; the handler keeps its call shape. */
function guard(name: string, handler: grpc.UntypedHandleCall, options: GrpcServerOptions, streaming: boolean): grpc.UntypedHandleCall {
  const { apiToken, apiLogging, logger } = options;
  if (!apiToken && !apiLogging) return handler;
  return ((call: grpc.ServerUnaryCall<unknown, unknown>, callback?: grpc.sendUnaryData<unknown>) => {
    if (apiToken && !tokenMatches(call.metadata.get('dapr-api-token')[0], apiToken)) {
      if (!streaming && callback) return callback(unauthenticated);
      return void call.emit('error', unauthenticated);
    }
    if (apiLogging) logger.info({ method: name }, 'gRPC API called');
    return (handler as (c: unknown, cb?: unknown) => void)(call, callback);
  }) as grpc.UntypedHandleCall;
}

/**
 * A gRPC server for one of Dapr's services. Every method of the published service is
 * registered: the implemented ones with their handlers, the rest with UNIMPLEMENTED.
 */
export class GrpcServer {
  readonly #server: grpc.Server;
  readonly #logger: Logger;

  constructor(options: GrpcServerOptions) {
    this.#logger = options.logger;
    this.#server = new grpc.Server({
      'grpc.max_receive_message_length': options.maxMessageBytes,
      'grpc.max_send_message_length': -1,
    });
    const implementation: grpc.UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(options.service)) {
      const streaming = method.responseStream || method.requestStream;
      const handler = options.handlers[name] ?? unimplementedHandler(name, method);
      implementation[name] = guard(name, handler, options, streaming);
    }
    this.#server.addService(options.service, implementation);
  }

  /** Listens on every host given; resolves with the port bound (useful with port 0). */
  async listen(port: number, hosts: readonly string[]): Promise<number> {
    let bound = port;
    for (const host of hosts) {
      bound = await new Promise<number>((resolve, reject) => {
        const address = host.includes(':') ? `[${host}]:${bound}` : `${host}:${bound}`;
        this.#server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, actual) => (error ? reject(error) : resolve(actual)));
      });
    }
    return bound;
  }

  /** Stops accepting calls and waits for the ones in progress, up to `graceMs`, then cancels the rest. */
  async close(graceMs: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#logger.warn('gRPC calls still running at the end of the grace period: cancelling them');
        this.#server.forceShutdown();
        resolve();
      }, graceMs);
      timer.unref();
      this.#server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
