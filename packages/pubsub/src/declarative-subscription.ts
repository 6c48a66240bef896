import type { SubscriptionResource } from '@mecha/core';
import type { SubscriptionSpec } from './subscription.ts';

/** A `Subscription` resource (v1alpha1 or v2alpha1, as loaded by @mecha/core) as a SubscriptionSpec. */
export function fromDeclarative(resource: SubscriptionResource): SubscriptionSpec {
  const spec: SubscriptionSpec = {
    name: resource.name,
    pubsubName: resource.pubsubName,
    topic: resource.topic,
    routes: {
      rules: resource.routes.rules.map((rule) => ({ match: rule.match, path: rule.path })),
      ...(resource.routes.default ? { default: resource.routes.default } : {}),
    },
    metadata: { ...resource.metadata },
    source: 'declarative',
  };
  if (resource.deadLetterTopic) spec.deadLetterTopic = resource.deadLetterTopic;
  if (resource.bulkSubscribe) spec.bulkSubscribe = { ...resource.bulkSubscribe };
  return spec;
}
