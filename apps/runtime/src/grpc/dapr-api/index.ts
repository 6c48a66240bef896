import type { DaprHandlers } from '../handlers.ts';
import type { GrpcApiContext } from './context.ts';
import { metadataHandlers } from './metadata.ts';

/** The implemented methods of `dapr.proto.runtime.v1.Dapr`; the server answers UNIMPLEMENTED for the rest. */
export function daprApiHandlers(context: GrpcApiContext): DaprHandlers {
  return {
    ...metadataHandlers(context),
  };
}

export type { GrpcApiContext } from './context.ts';
