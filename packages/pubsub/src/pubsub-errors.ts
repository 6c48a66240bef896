import { MechaError, errorMessage } from '@mecha/core';

/**
 * The MechaErrors the pub/sub block throws, with daprd's `errorCode`, reason and message
 * text, so the runtime's adapters can answer exactly as daprd does. `kind` is chosen so the
 * runtime's kind → status mapping lands on daprd's HTTP status for each code.
 */
function resource(pubsubName: string) {
  return { type: 'pubsub', name: pubsubName };
}

export function topicEmptyError(pubsubName: string): MechaError {
  return new MechaError(
    'ERR_TOPIC_NAME_EMPTY',
    'not-found',
    `topic is empty in pubsub ${pubsubName}`,
    {
      reason: 'DAPR_PUBSUB_TOPIC_NAME_EMPTY',
      resource: resource(pubsubName),
    },
  );
}

export function forbiddenError(pubsubName: string, topic: string, appId: string): MechaError {
  return new MechaError(
    'ERR_PUBSUB_FORBIDDEN',
    'permission-denied',
    `topic ${topic} is not allowed for app id ${appId}`,
    {
      reason: 'DAPR_PUBSUB_FORBIDDEN',
      resource: resource(pubsubName),
      metadata: { topic, appID: appId },
    },
  );
}

export function requestMetadataError(pubsubName: string, detail: string): MechaError {
  return new MechaError(
    'ERR_PUBSUB_REQUEST_METADATA',
    'invalid-argument',
    `failed deserializing metadata. Error: ${detail}`,
    {
      reason: 'DAPR_PUBSUB_METADATA_DESERIALIZATION',
      resource: resource(pubsubName),
    },
  );
}

/** daprd answers 500 here (not 400), hence `internal`. */
export function cloudEventError(pubsubName: string, appId: string, cause: unknown): MechaError {
  return new MechaError(
    'ERR_PUBSUB_CLOUD_EVENTS_SER',
    'internal',
    `cannot create cloudevent: ${errorMessage(cause)}`,
    {
      reason: 'DAPR_PUBSUB_CLOUD_EVENT_CREATION',
      resource: resource(pubsubName),
      metadata: { appID: appId, error: errorMessage(cause) },
      cause,
    },
  );
}

export function publishError(pubsubName: string, topic: string, cause: unknown): MechaError {
  return new MechaError(
    'ERR_PUBSUB_PUBLISH_MESSAGE',
    'internal',
    `error when publishing to topic ${topic} in pubsub ${pubsubName}: ${errorMessage(cause)}`,
    {
      reason: 'DAPR_PUBSUB_PUBLISH_MESSAGE',
      resource: resource(pubsubName),
      metadata: { topic, error: errorMessage(cause) },
      cause,
    },
  );
}

/** A bulk publish request whose entries cannot be turned into messages (bad entryId, event/content-type mismatch). */
export function bulkEventsError(pubsubName: string, topic: string, detail: string): MechaError {
  return new MechaError(
    'ERR_PUBSUB_EVENTS_SER',
    'invalid-argument',
    `error when marshaling the request for topic ${topic} pubsub ${pubsubName}: ${detail}`,
    { reason: 'DAPR_PUBSUB_MARSHAL_EVENTS', resource: resource(pubsubName), metadata: { topic } },
  );
}

/** A subscription the block cannot honour (bad routing rule, bad metadata); names the subscription. */
export function subscriptionError(label: string, detail: string, cause?: unknown): MechaError {
  return new MechaError(
    'ERR_PUBSUB_SUBSCRIPTION',
    'invalid-argument',
    `subscription ${label}: ${detail}`,
    {
      reason: 'DAPR_PUBSUB_SUBSCRIPTION_INVALID',
      cause,
    },
  );
}
