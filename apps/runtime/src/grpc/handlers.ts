import type * as grpc from '@grpc/grpc-js';
import { toGrpcError } from './grpc-status.ts';

/**
 * Adapts an async function to a grpc-js unary handler: its result is the response, a thrown
 * error (a MechaError above all) becomes daprd's status with rich details.
 */
export function unary<Req, Res>(fn: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    fn(call.request, call).then(
      (response) => callback(null, response),
      (error: unknown) => callback(toGrpcError(error)),
    );
  };
}

/** The Dapr service's handlers by method name (`GetState`, `PublishEvent`, …). */
export type DaprHandlers = Record<string, grpc.UntypedHandleCall>;
