import { errorMessage, type Logger } from '@mecha/core';
import type { InvocationService } from '@mecha/invocation';
import { daprProtos } from '../protos.ts';
import { GrpcServer } from '../server.ts';
import { callLocalHandlers } from './call-local.ts';
import { stableInternalPort } from './stable-port.ts';

export interface InternalGrpcServerOptions {
  invocation: InvocationService;
  /** `--dapr-internal-grpc-port`; without it, daprd's stable port for the app id, or any free port when that one is taken. */
  port?: number;
  hosts: readonly string[];
  appIsHttp: boolean;
  maxBodyBytes: number;
  logger: Logger;
}

export interface InternalGrpcServer {
  /** The port bound, to announce in name resolution. */
  port: number;
  close(graceMs: number): Promise<void>;
}

/**
 * The sidecar-to-sidecar server: `dapr.proto.internals.v1.ServiceInvocation` with CallLocal
 * and CallLocalStream; the actor methods answer UNIMPLEMENTED naming the actors block. Like
 * daprd's internal server it takes no API token (that guards the app-facing APIs only).
 */
export async function startInternalGrpcServer(options: InternalGrpcServerOptions): Promise<InternalGrpcServer> {
  const create = () =>
    new GrpcServer({
      service: daprProtos().serviceInvocation.service,
      handlers: callLocalHandlers({
        invocation: options.invocation,
        appIsHttp: options.appIsHttp,
        maxBodyBytes: options.maxBodyBytes,
        logger: options.logger,
      }),
      maxMessageBytes: options.maxBodyBytes,
      logger: options.logger,
    });
  if (options.port) {
    const server = create();
    return { port: await server.listen(options.port, options.hosts), close: (graceMs) => server.close(graceMs) };
  }
  const stable = stableInternalPort(options.invocation.appId);
  const server = create();
  try {
    return { port: await server.listen(stable, options.hosts), close: (graceMs) => server.close(graceMs) };
  } catch (error) {
    options.logger.debug({ port: stable, error: errorMessage(error) }, 'the stable internal gRPC port is taken: using a free one');
    await server.close(0);
  }
  const fallback = create();
  return { port: await fallback.listen(0, options.hosts), close: (graceMs) => fallback.close(graceMs) };
}
