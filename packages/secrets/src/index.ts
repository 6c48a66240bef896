export type { Secret, SecretStore, SecretStoreFeature } from './secret-store.ts';
export { SecretScope, type SecretScopeSpec } from './secret-scope.ts';
export { SecretsService, type SecretsServiceOptions } from './secrets-service.ts';
export {
  SecretsErrorCodes,
  secretStoreNotFound,
  secretStoresNotConfigured,
  secretPermissionDenied,
} from './secrets-errors.ts';
