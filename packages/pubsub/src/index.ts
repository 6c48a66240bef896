export type {
  PubSubFeature,
  PubSubBroker,
  BrokerMessage,
  BrokerSubscription,
  BulkPublishFailure,
  MessageHandler,
  SubscribeRequest,
} from './broker.ts';
export {
  PubSubService,
  type PubSubServiceOptions,
  type PublishRequest,
  type BulkPublishRequest,
  type BulkPublishResult,
} from './pubsub-service.ts';
export type { BulkPublishEntry } from './bulk-entry.ts';
export type {
  SubscriptionSpec,
  SubscriptionSource,
  SubscriptionRoutes,
  RouteRule,
  BulkSubscribeOptions,
  Delivery,
  DeliveryStatus,
  Deliver,
  BulkDelivery,
  BulkDeliveryEntry,
  BulkDeliveryStatus,
  DeliverBulk,
  SubscribeOptions,
  SubscriptionHandle,
  SubscriptionInfo,
} from './subscription.ts';
export {
  parseProgrammaticSubscriptions,
  type ParseSubscriptionsOptions,
} from './programmatic-subscriptions.ts';
export { fromDeclarative } from './declarative-subscription.ts';
export { pubsubCommonMetadata, pubsubCommonFields } from './common-metadata.ts';
export { defaultRetryOptions, type RetryOptions } from './retry-options.ts';
export { DAPR_EVENT_TYPE, DAPR_EVENT_SOURCE, type CloudEventObject } from './cloud-event.ts';
export { CLOUDEVENT_CONTENT_TYPE } from './content-type.ts';
export { TopicScopes } from './topic-scopes.ts';
