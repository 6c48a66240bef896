import * as grpc from '@grpc/grpc-js';
import { errorMessage, type Logger } from '@mecha/core';
import type { Deliver, DeliverBulk, SubscriptionSpec } from '@mecha/pubsub';
import type { AppConnection } from '../../app/app-connection.ts';
import { retryAtStartup } from '../../app/startup-retries.ts';
import { GrpcAppChannel, isServiceError, type GrpcAppChannelOptions } from './grpc-app-channel.ts';
import { GrpcBindingChannel } from './grpc-binding-channel.ts';
import { grpcBulkDelivery } from './grpc-bulk-delivery.ts';
import { grpcDelivery } from './grpc-delivery.ts';
import { subscriptionsFromGrpc } from './topic-subscriptions.ts';

function unimplemented(error: unknown): boolean {
  return isServiceError(error) && error.code === grpc.status.UNIMPLEMENTED;
}

/**
 * A gRPC app (`--app-protocol grpc|grpcs`): subscriptions from ListTopicSubscriptions,
 * events through OnTopicEvent (batches through OnBulkTopicEvent or OnBulkTopicEventAlpha1), input bindings from ListInputBindings. A method the app does
 * not implement means "none", as daprd reads it.
 */
export class GrpcAppConnection implements AppConnection {
  readonly protocol: string;
  readonly channel: GrpcAppChannel;
  readonly deliver: Deliver;
  readonly deliverBulk: DeliverBulk;
  readonly bindings: GrpcBindingChannel;
  readonly #logger: Logger;

  constructor(options: GrpcAppChannelOptions, logger: Logger) {
    this.channel = new GrpcAppChannel(options);
    this.protocol = this.channel.tls ? 'grpcs' : 'grpc';
    this.#logger = logger;
    const deliveryLogger = logger.child({ scope: 'mechad.pubsub.delivery' });
    this.deliver = grpcDelivery(this.channel, deliveryLogger);
    this.deliverBulk = grpcBulkDelivery(this.channel, this.deliver, deliveryLogger);
    this.bindings = new GrpcBindingChannel(this.channel, (signal) => this.inputBindings(signal));
  }

  waitUntilReachable(signal: AbortSignal): Promise<void> {
    return this.channel.waitForPort({ signal });
  }

  async subscriptions(signal: AbortSignal): Promise<SubscriptionSpec[]> {
    try {
      const list = await retryAtStartup(async () => {
        try {
          return await this.channel.listTopicSubscriptions(signal);
        } catch (error) {
          if (unimplemented(error)) return [];
          throw error;
        }
      }, signal);
      return subscriptionsFromGrpc(list ?? []);
    } catch (error) {
      this.#logger.error({ error: errorMessage(error) }, 'could not read the app subscriptions (ListTopicSubscriptions)');
      return [];
    }
  }

  async inputBindings(signal: AbortSignal): Promise<string[]> {
    try {
      return await this.channel.listInputBindings(signal);
    } catch (error) {
      if (!unimplemented(error)) this.#logger.warn({ error: errorMessage(error) }, 'could not read the app input bindings (ListInputBindings)');
      return [];
    }
  }

  close(): Promise<void> {
    return this.channel.close();
  }
}
