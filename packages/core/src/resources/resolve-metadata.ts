import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { MechaError } from '../errors.ts';
import type { ComponentResource, SecretKeyRef } from './types.ts';

/** Looks a secret up in a named secret store; the secrets block provides it to the runtime. */
export type SecretResolver = (storeName: string, ref: SecretKeyRef) => Promise<string>;

export interface ResolveMetadataOptions {
  appId: string;
  namespace?: string;
  resolveSecret?: SecretResolver;
}

/**
 * Turns a component's `spec.metadata` list into name → value: `secretKeyRef` entries are
 * looked up through the component's `auth.secretStore`, and daprd's placeholders
 * (`{uuid}`, `{podName}`, `{namespace}`, `{appID}`) are expanded.
 */
export async function resolveComponentMetadata(
  component: ComponentResource,
  options: ResolveMetadataOptions,
): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const item of component.metadata) {
    if (item.secretKeyRef) {
      const store = component.secretStore;
      if (!store || !options.resolveSecret) {
        throw new MechaError(
          'ERR_SECRET_STORE_NOT_FOUND',
          'failed-precondition',
          `component ${component.name}: metadata field "${item.name}" uses secretKeyRef but ${
            store ? `secret store "${store}" is not available` : 'the component has no auth.secretStore'
          } (${component.source.file})`,
        );
      }
      try {
        values[item.name] = await options.resolveSecret(store, item.secretKeyRef);
      } catch (error) {
        // Name the component, field and file; the resolver's message names store and secret, never a value.
        const message = error instanceof Error ? error.message : String(error);
        throw new MechaError(
          error instanceof MechaError ? error.code : 'ERR_SECRET_GET',
          'failed-precondition',
          `component ${component.name}: metadata field "${item.name}" uses secretKeyRef ${JSON.stringify(item.secretKeyRef.name)} from secret store "${store}": ${message} (${component.source.file})`,
          { cause: error },
        );
      }
      continue;
    }
    values[item.name] = expandPlaceholders(item.value ?? '', options);
  }
  return values;
}

function expandPlaceholders(value: string, options: ResolveMetadataOptions): string {
  if (!value.includes('{')) return value;
  return value
    .replaceAll('{uuid}', randomUUID())
    .replaceAll('{podName}', process.env['POD_NAME'] ?? hostname())
    .replaceAll('{namespace}', options.namespace ?? process.env['NAMESPACE'] ?? 'default')
    .replaceAll('{appID}', options.appId);
}
