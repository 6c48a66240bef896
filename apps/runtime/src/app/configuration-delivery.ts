import { errorMessage, type Logger } from '@mecha/core';
import type { ConfigurationItems, ConfigurationListener } from '@mecha/configuration';
import type { InvocationService } from '@mecha/invocation';

/**
 * Items as daprd encodes them (Go's `omitempty`): empty value, version and metadata are left
 * out, so a deleted key is `{}`.
 */
export function configurationItemsJson(items: ConfigurationItems): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [key, item] of Object.entries(items)) {
    const entry: Record<string, unknown> = {};
    if (item.value !== '') entry['value'] = item.value;
    if (item.version !== '') entry['version'] = item.version;
    if (Object.keys(item.metadata).length > 0) entry['metadata'] = item.metadata;
    out[key] = entry;
  }
  return out;
}

/** A path segment kept as daprd sends it, except for characters a URL path cannot carry. */
const segment = (text: string) => text.split('/').map(encodeURIComponent).join('/');

/**
 * Where an HTTP API configuration subscription sends its updates: as daprd, one
 * `POST /configuration/<store>/<key>` to the app per changed key, each carrying the whole
 * update `{"id", "items"}`. Anything but 200 is logged and not retried (daprd does the same
 * without a resiliency policy); the subscription goes on.
 */
export function configurationDelivery(invocation: InvocationService, appId: string, store: string, logger: Logger): ConfigurationListener {
  return async (update) => {
    const body = Buffer.from(JSON.stringify({ id: update.id, items: configurationItemsJson(update.items) }));
    for (const key of Object.keys(update.items)) {
      try {
        const response = await invocation.invoke(appId, {
          method: `configuration/${segment(store)}/${segment(key)}`,
          httpVerb: 'POST',
          query: '',
          headers: { 'content-type': 'application/json' },
          body,
        });
        if (response.status !== 200) {
          logger.error({ store, key, subscription: update.id, status: response.status }, 'the app did not take a configuration update (status is not 200)');
        }
      } catch (error) {
        logger.error({ store, key, subscription: update.id, error: errorMessage(error) }, 'sending a configuration update to the app failed');
      }
    }
  };
}
