import { errorMessage, type Logger, type SubscriptionResource } from '@mecha/core';
import type { AppChannel } from '@mecha/invocation';
import { fromDeclarative, parseProgrammaticSubscriptions, type SubscriptionSpec } from '@mecha/pubsub';
import type { BlockServices } from '../block-services.ts';
import type { AppConnection } from './app-connection.ts';
import { retryAtStartup } from './startup-retries.ts';

/** Asks the app for its subscriptions (`GET /dapr/subscribe`), retrying briefly as daprd does. */
export async function fetchProgrammaticSubscriptions(
  channel: AppChannel,
  appId: string,
  logger: Logger,
  signal?: AbortSignal,
): Promise<SubscriptionSpec[]> {
  try {
    const specs = await retryAtStartup(async () => {
      const response = await channel.invoke({
        method: 'dapr/subscribe',
        httpVerb: 'GET',
        query: '',
        headers: { 'content-type': 'application/json', 'dapr-app-id': appId },
        body: new Uint8Array(0),
        signal,
      });
      if (response.status === 404) return [];
      if (response.status < 200 || response.status > 299) {
        logger.error({ status: response.status }, 'the app answered GET /dapr/subscribe with an error: no programmatic subscriptions');
        return [];
      }
      const text = Buffer.from(response.body).toString('utf8').trim();
      if (text === '') return [];
      return parseProgrammaticSubscriptions(JSON.parse(text));
    }, signal);
    return specs ?? [];
  } catch (error) {
    logger.error({ error: errorMessage(error) }, 'could not read the app subscriptions (GET /dapr/subscribe)');
    return [];
  }
}

export interface StartedSubscription {
  close(): Promise<void>;
}

/**
 * Starts every subscription on its pub/sub, delivering to the app (in batches for those with
 * `bulkSubscribe.enabled`); one naming an unknown pub/sub is reported and skipped.
 */
export async function startSubscriptions(
  services: BlockServices,
  specs: readonly SubscriptionSpec[],
  app: Pick<AppConnection, 'deliver' | 'deliverBulk'>,
  logger: Logger,
): Promise<StartedSubscription[]> {
  const started: StartedSubscription[] = [];
  for (const spec of specs) {
    const pubsub = services.pubsub.get(spec.pubsubName);
    if (!pubsub) {
      logger.error({ pubsub: spec.pubsubName, topic: spec.topic }, `subscription names pubsub "${spec.pubsubName}", which is not configured: skipped`);
      continue;
    }
    try {
      started.push(await pubsub.subscribe(spec, app.deliver, { deliverBulk: app.deliverBulk }));
      logger.info({ pubsub: spec.pubsubName, topic: spec.topic, source: spec.source, bulk: spec.bulkSubscribe?.enabled === true }, 'subscribed');
    } catch (error) {
      logger.error({ pubsub: spec.pubsubName, topic: spec.topic, error: errorMessage(error) }, 'subscription failed');
    }
  }
  return started;
}

export function declarativeSubscriptions(resources: readonly SubscriptionResource[]): SubscriptionSpec[] {
  return resources.map((resource) => fromDeclarative(resource));
}
