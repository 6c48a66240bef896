import { defineMetadata } from '@mecha/core';

/**
 * Metadata every pub/sub component accepts because the block (not the backend) acts on it.
 * The runtime passes these names through component validation (`commonFields`).
 */
export const pubsubCommonMetadata = defineMetadata({
  consumerID: {
    type: 'string',
    description:
      'Consumer group: subscribers sharing it compete for messages, each group gets every message. Defaults to the app id; `{uuid}`, `{appID}`, `{namespace}` and `{podName}` are expanded.',
  },
  allowedTopics: {
    type: 'string',
    description:
      'Comma-separated topics; when set, no other topic may be published to or subscribed to.',
    example: 'orders,payments',
  },
  publishingScopes: {
    type: 'string',
    description:
      'Per-app topics an app may publish to: `app1=t1,t2;app2=` (an empty list allows none; an unlisted app is unrestricted).',
    example: 'checkout=orders;audit=',
  },
  subscriptionScopes: {
    type: 'string',
    description: 'Per-app topics an app may subscribe to, in the same form as `publishingScopes`.',
    example: 'shipping=orders',
  },
  protectedTopics: {
    type: 'string',
    description:
      'Comma-separated topics only apps granted them in `publishingScopes`/`subscriptionScopes` may use.',
  },
});

/** The names alone, for `instantiateComponent({ commonFields })`. */
export const pubsubCommonFields: readonly string[] = Object.keys(pubsubCommonMetadata);
