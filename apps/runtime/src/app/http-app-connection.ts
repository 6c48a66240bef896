import type { Logger } from '@mecha/core';
import { HttpAppChannel, type HttpAppChannelOptions } from '@mecha/invocation';
import type { Deliver, DeliverBulk, SubscriptionSpec } from '@mecha/pubsub';
import type { AppConnection } from './app-connection.ts';
import { HttpBindingChannel } from './http-binding-channel.ts';
import { httpBulkDelivery } from './http-bulk-delivery.ts';
import { httpDelivery } from './http-delivery.ts';
import { fetchProgrammaticSubscriptions } from './subscriptions.ts';

/** An HTTP app (`--app-protocol http|https`): `GET /dapr/subscribe`, events posted to their routes. */
export class HttpAppConnection implements AppConnection {
  readonly protocol: string;
  readonly channel: HttpAppChannel;
  readonly deliver: Deliver;
  readonly deliverBulk: DeliverBulk;
  readonly bindings: HttpBindingChannel;
  readonly #appId: string;
  readonly #logger: Logger;

  constructor(options: HttpAppChannelOptions & { appId: string }, logger: Logger) {
    this.channel = new HttpAppChannel(options);
    this.protocol = this.channel.protocol;
    this.#appId = options.appId;
    this.#logger = logger;
    const deliveryLogger = logger.child({ scope: 'mechad.pubsub.delivery' });
    this.deliver = httpDelivery(this.channel, deliveryLogger);
    this.deliverBulk = httpBulkDelivery(this.channel, deliveryLogger);
    this.bindings = new HttpBindingChannel(this.channel);
  }

  waitUntilReachable(signal: AbortSignal): Promise<void> {
    return this.channel.waitForPort({ signal });
  }

  subscriptions(signal: AbortSignal): Promise<SubscriptionSpec[]> {
    return fetchProgrammaticSubscriptions(this.channel, this.#appId, this.#logger, signal);
  }

  async inputBindings(): Promise<string[]> {
    return [];
  }

  close(): Promise<void> {
    return this.channel.close();
  }
}
