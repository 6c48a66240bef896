import { MechaError, errorMessage } from '@mecha/core';

/** Dapr's error codes for the configuration API. */
export const ConfigurationErrorCodes = {
  notConfigured: 'ERR_CONFIGURATION_STORE_NOT_CONFIGURED',
  notFound: 'ERR_CONFIGURATION_STORE_NOT_FOUND',
  get: 'ERR_CONFIGURATION_GET',
  subscribe: 'ERR_CONFIGURATION_SUBSCRIBE',
  unsubscribe: 'ERR_CONFIGURATION_UNSUBSCRIBE',
} as const;

// The messages name the store; no ResourceInfo detail, as daprd's configuration errors carry none.

/** Keys as daprd prints them in its messages (a Go slice: `[a b]`). */
const keyList = (keys: readonly string[]) => `[${keys.join(' ')}]`;

/** daprd: HTTP 500, gRPC FAILED_PRECONDITION. */
export function configurationStoresNotConfigured(): MechaError {
  return new MechaError(ConfigurationErrorCodes.notConfigured, 'failed-precondition', 'configuration stores not configured');
}

/** daprd: HTTP 400, gRPC INVALID_ARGUMENT. */
export function configurationStoreNotFound(store: string): MechaError {
  return new MechaError(ConfigurationErrorCodes.notFound, 'invalid-argument', `configuration store ${store} not found`);
}

export function configurationGetFailed(store: string, keys: readonly string[], cause: unknown): MechaError {
  return new MechaError(ConfigurationErrorCodes.get, 'internal', `failed to get ${keyList(keys)} from Configuration store ${store}: ${errorMessage(cause)}`, {
    cause,
  });
}

/** daprd: HTTP 500, gRPC INVALID_ARGUMENT (the runtime maps the code). */
export function configurationSubscribeFailed(store: string, keys: readonly string[], cause: unknown): MechaError {
  return new MechaError(
    ConfigurationErrorCodes.subscribe,
    'internal',
    `failed to subscribe ${keyList(keys)} from Configuration store ${store}: ${errorMessage(cause)}`,
    { cause },
  );
}

export function configurationUnsubscribeFailed(id: string, cause: unknown): MechaError {
  return new MechaError(ConfigurationErrorCodes.unsubscribe, 'internal', `failed to unsubscribe to configuration request ${id}: ${errorMessage(cause)}`, {
    cause,
  });
}
