import { MechaError } from '@mecha/core';
import type { PubSubService } from '@mecha/pubsub';
import type { BlockServices } from './block-services.ts';

/** Go's strconv.ParseBool spellings, the only ones daprd accepts for `rawPayload`. */
const goBoolean = /^(true|false|1|0|t|f|TRUE|FALSE|True|False)$/;

/**
 * The pub/sub component a publish (single or bulk) goes to, checked in daprd's order for both
 * APIs: the component (not configured, empty name, unknown), then an empty topic, then a
 * `rawPayload` metadata value that is not a boolean. Throws daprd's errors.
 */
export function publishTarget(services: BlockServices, pubsubName: string, topic: string, metadata: Record<string, string>): PubSubService {
  const pubsub = services.pubsubComponent(pubsubName, metadata);
  if (!topic) {
    throw new MechaError('ERR_TOPIC_NAME_EMPTY', 'not-found', `topic is empty in pubsub ${pubsubName}`, {
      reason: 'DAPR_PUBSUB_TOPIC_NAME_EMPTY',
    });
  }
  const raw = metadata['rawPayload'];
  // An empty value counts as absent (components-contrib IsRawPayload).
  if (raw !== undefined && raw !== '' && !goBoolean.test(raw)) {
    throw new MechaError(
      'ERR_PUBSUB_REQUEST_METADATA',
      'invalid-argument',
      `failed deserializing metadata. Error: rawPayload value must be a valid boolean: actual is '${raw}'`,
      { reason: 'DAPR_PUBSUB_METADATA_DESERIALIZATION' },
    );
  }
  return pubsub;
}
