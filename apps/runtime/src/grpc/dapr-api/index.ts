import type { DaprHandlers } from '../handlers.ts';
import { bindingHandlers } from './bindings.ts';
import { configurationHandlers } from './configuration.ts';
import type { GrpcApiContext } from './context.ts';
import { invokeHandlers } from './invoke.ts';
import { lockHandlers } from './lock.ts';
import { metadataHandlers } from './metadata.ts';
import { publishHandlers } from './publish.ts';
import { secretHandlers } from './secrets.ts';
import { stateHandlers } from './state.ts';
import { subscribeStreamHandlers } from './subscribe-stream.ts';

/** The implemented methods of `dapr.proto.runtime.v1.Dapr`; the server answers UNIMPLEMENTED for the rest. */
export function daprApiHandlers(context: GrpcApiContext): DaprHandlers {
  return {
    ...metadataHandlers(context),
    ...stateHandlers(context),
    ...publishHandlers(context),
    ...invokeHandlers(context),
    ...subscribeStreamHandlers(context),
    ...secretHandlers(context),
    ...lockHandlers(context),
    ...configurationHandlers(context),
    ...bindingHandlers(context),
  };
}

export type { GrpcApiContext } from './context.ts';
