export { definition, definitionV1 } from './definition.ts';
export { EtcdStateStore, type EtcdStateStoreOptions } from './etcd-state-store.ts';
export { EtcdGateway, EtcdServerError, type EtcdGatewayOptions, type EtcdTls } from './etcd-gateway.ts';
