import { Storage, type StorageOptions } from '@google-cloud/storage';

/** A service account key, with the JSON key file's own field names. */
export interface ServiceAccountKey {
  type: string;
  project_id: string;
  private_key_id?: string;
  private_key: string;
  client_email: string;
  client_id?: string;
  auth_uri?: string;
  token_uri?: string;
  auth_provider_x509_cert_url?: string;
  client_x509_cert_url?: string;
}

export interface StorageConnection {
  projectId: string;
  /** An explicit API endpoint (emulator or private endpoint); else STORAGE_EMULATOR_HOST; else Google's. */
  endpoint?: string;
  /** Explicit credentials; without them, Application Default Credentials. */
  key?: ServiceAccountKey;
  /** Retries of a failed request (the client library's default, 3, when left out). */
  maxRetries?: number;
}

/**
 * The endpoint STORAGE_EMULATOR_HOST names, read as Dapr's Go client reads it: `host:port`
 * (plain HTTP) or a URL. The Node client reads the variable too but takes it as the whole base
 * URL (`…/storage/v1`), so the same value that works for daprd would break it; the component
 * reads it instead and passes the endpoint explicitly.
 */
export function emulatorHostEndpoint(value = process.env['STORAGE_EMULATOR_HOST']): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  return endpointUrl(trimmed, 'STORAGE_EMULATOR_HOST');
}

/** `host:port` gets `http://` (an emulator); a URL loses a trailing `/storage/v1`. */
export function endpointUrl(value: string, what: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new Error(`${what} is not a URL or host:port (got ${JSON.stringify(value)})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${what} must be an http:// or https:// URL (got ${JSON.stringify(value)})`);
  return withScheme.replace(/\/+$/, '').replace(/\/storage\/v1$/, '');
}

/**
 * Builds the client. Credentials are the key's JSON (the form the client can also sign URLs
 * with, locally); the client library logs a deprecation notice for that form on every
 * construction, which is dropped here because no other form signs without a network call.
 * Requests to a plain-HTTP endpoint (an emulator) carry no credentials; an https endpoint of
 * your own (a private or regional one) gets them.
 */
export function createStorage(connection: StorageConnection): Storage {
  const endpoint = connection.endpoint ?? emulatorHostEndpoint();
  const options: StorageOptions = { projectId: connection.projectId };
  if (endpoint) {
    options.apiEndpoint = endpoint;
    options.useAuthWithCustomEndpoint = endpoint.startsWith('https://');
  }
  // The client reads maxRetries 0 as "the default"; no retries is autoRetry off.
  if (connection.maxRetries !== undefined) options.retryOptions = connection.maxRetries === 0 ? { autoRetry: false } : { maxRetries: connection.maxRetries };
  if (connection.key) options.credentials = connection.key as unknown as StorageOptions['credentials'];
  const saved = { emulator: process.env['STORAGE_EMULATOR_HOST'], warn: console.warn };
  // Synchronous: nothing else runs while the variable is hidden and the notice filtered.
  delete process.env['STORAGE_EMULATOR_HOST'];
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('The `credentials` option is deprecated')) return;
    saved.warn(...args);
  };
  try {
    return new Storage(options);
  } finally {
    console.warn = saved.warn;
    if (saved.emulator !== undefined) process.env['STORAGE_EMULATOR_HOST'] = saved.emulator;
  }
}
