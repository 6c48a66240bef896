export type {
  ConfigurationStore,
  ConfigurationFeature,
  ConfigurationItem,
  ConfigurationItems,
  ConfigurationGetRequest,
  ConfigurationSubscribeRequest,
  ConfigurationUpdate,
  ConfigurationUpdateHandler,
} from './configuration-store.ts';
export {
  ConfigurationService,
  type ConfigurationServiceOptions,
  type ConfigurationSubscribeInput,
  type ConfigurationSubscribeOptions,
  type ConfigurationListener,
} from './configuration-service.ts';
export { ConfigurationErrorCodes, configurationStoreNotFound, configurationStoresNotConfigured } from './configuration-errors.ts';
export { SubscriptionQueue } from './subscription-queue.ts';
