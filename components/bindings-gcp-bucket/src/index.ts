export { definition } from './definition.ts';
export { GcpBucketBinding, type GcpBucketBindingOptions } from './gcp-bucket-binding.ts';
export type { ServiceAccountKey, StorageConnection } from './storage-client.ts';
