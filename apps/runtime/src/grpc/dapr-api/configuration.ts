import type * as grpc from '@grpc/grpc-js';
import { errorMessage, isMechaError, type Logger } from '@mecha/core';
import type { ConfigurationItems, ConfigurationService } from '@mecha/configuration';
import type { BlockServices } from '../../block-services.ts';
import { toGrpcError } from '../grpc-status.ts';
import type { DaprHandlers } from '../handlers.ts';
import { unary } from '../handlers.ts';
import type { GrpcApiContext } from './context.ts';

interface ConfigurationRequest {
  store_name: string;
  keys: string[];
  metadata: Record<string, string>;
}

interface UnsubscribeRequest {
  store_name: string;
  id: string;
}

interface SubscribeResponse {
  id: string;
  items: ConfigurationItems;
}

type SubscribeCall = grpc.ServerWritableStream<ConfigurationRequest, SubscribeResponse>;

/**
 * One SubscribeConfiguration stream, as daprd serves it: the first message carries the
 * subscription id and no items, then one message per update. The subscription ends with the
 * stream (the client cancels it), and the stream ends with OK when the subscription is ended
 * elsewhere (UnsubscribeConfiguration, the HTTP unsubscribe, or the sidecar stopping).
 */
function serveSubscription(call: SubscribeCall, services: BlockServices, logger: Logger): void {
  let configuration: ConfigurationService;
  try {
    configuration = services.configurationStore(call.request.store_name);
  } catch (error) {
    call.emit('error', toGrpcError(error));
    return;
  }
  let id: string | undefined;
  let finished = false;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const finish = () => {
    if (finished) return;
    finished = true;
    open();
    try {
      call.end();
    } catch {
      // The transport already closed the stream.
    }
  };
  call.on('cancelled', () => {
    finished = true;
    open();
    if (id !== undefined && configuration.hasSubscription(id)) void configuration.unsubscribe(id).catch(() => undefined);
  });
  const keys = [...(call.request.keys ?? [])].sort();
  configuration
    .subscribe(
      { keys, metadata: call.request.metadata ?? {} },
      async (update) => {
        // Updates wait for the first message, which carries the id.
        await opened;
        if (!finished) call.write({ id: update.id, items: update.items });
      },
      { onEnd: finish },
    )
    .then(
      (subscribed) => {
        id = subscribed;
        if (finished) {
          void configuration.unsubscribe(subscribed).catch(() => undefined);
          return;
        }
        call.write({ id: subscribed, items: {} });
        open();
        logger.debug({ store: configuration.name, subscription: subscribed, keys }, 'configuration subscription stream opened');
      },
      (error: unknown) => {
        finished = true;
        open();
        call.emit('error', toGrpcError(error));
      },
    );
}

/** Get/Subscribe/UnsubscribeConfiguration and their Alpha1 twins, over the same services as the HTTP API. */
export function configurationHandlers(context: GrpcApiContext): DaprHandlers {
  const { services } = context;
  const logger = context.logger.child({ scope: 'mechad.configuration' });
  const get = unary(async (request: ConfigurationRequest) => ({
    items: await services.configurationStore(request.store_name).get(request.keys ?? [], request.metadata ?? {}),
  }));
  const subscribe = ((call: SubscribeCall) => serveSubscription(call, services, logger)) as grpc.UntypedHandleCall;
  // daprd looks the id up among all live subscriptions, whatever store the request names, and answers ok:false rather than an error.
  const unsubscribe = unary(async (request: UnsubscribeRequest) => {
    const owner = [...services.configuration.values()].find((configuration) => configuration.hasSubscription(request.id));
    if (!owner) return { ok: false, message: `failed to unsubscribe to configuration request ${request.id}: subscription does not exist` };
    try {
      await owner.unsubscribe(request.id);
    } catch (error) {
      return { ok: false, message: isMechaError(error) ? error.message : errorMessage(error) };
    }
    return { ok: true, message: '' };
  });
  return {
    GetConfiguration: get,
    GetConfigurationAlpha1: get,
    SubscribeConfiguration: subscribe,
    SubscribeConfigurationAlpha1: subscribe,
    UnsubscribeConfiguration: unsubscribe,
    UnsubscribeConfigurationAlpha1: unsubscribe,
  };
}
