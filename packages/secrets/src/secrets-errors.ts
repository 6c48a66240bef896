import { MechaError, errorMessage } from '@mecha/core';

/** Dapr's error codes for the secrets API. */
export const SecretsErrorCodes = {
  notConfigured: 'ERR_SECRET_STORES_NOT_CONFIGURED',
  notFound: 'ERR_SECRET_STORE_NOT_FOUND',
  permissionDenied: 'ERR_PERMISSION_DENIED',
  get: 'ERR_SECRET_GET',
} as const;

const resource = (store: string) => ({ type: 'secretstore', name: store });

export function secretStoresNotConfigured(): MechaError {
  return new MechaError(SecretsErrorCodes.notConfigured, 'failed-precondition', 'secret store is not configured');
}

/** daprd answers an unknown store with HTTP 401 (gRPC INVALID_ARGUMENT); the runtime maps the code. */
export function secretStoreNotFound(store: string): MechaError {
  return new MechaError(SecretsErrorCodes.notFound, 'invalid-argument', `failed finding secret store with key ${store}`, {
    resource: resource(store),
  });
}

/** Names the secret and the store, never a value. */
export function secretPermissionDenied(store: string, secretName: string): MechaError {
  return new MechaError(
    SecretsErrorCodes.permissionDenied,
    'permission-denied',
    `access denied by policy to get ${JSON.stringify(secretName)} from ${JSON.stringify(store)}`,
    { resource: resource(store) },
  );
}

export function secretGetError(store: string, secretName: string, cause: unknown): MechaError {
  return new MechaError(
    SecretsErrorCodes.get,
    'internal',
    `failed getting secret with key ${secretName} from secret store ${store}: ${errorMessage(cause)}`,
    { resource: resource(store), cause },
  );
}

export function bulkSecretGetError(store: string, cause: unknown): MechaError {
  return new MechaError(SecretsErrorCodes.get, 'internal', `failed getting secrets from secret store ${store}: ${errorMessage(cause)}`, {
    resource: resource(store),
    cause,
  });
}
