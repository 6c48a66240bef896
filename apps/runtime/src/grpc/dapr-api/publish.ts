import { MechaError } from '@mecha/core';
import { publishTarget } from '../../publish-target.ts';
import type { DaprHandlers } from '../handlers.ts';
import { unary } from '../handlers.ts';
import type { GrpcApiContext } from './context.ts';

type Metadata = Record<string, string>;

interface PublishEventRequest {
  pubsub_name: string;
  topic: string;
  data: Buffer;
  data_content_type: string;
  metadata: Metadata;
}

interface BulkPublishRequest {
  pubsub_name: string;
  topic: string;
  entries: { entry_id: string; event: Buffer; content_type: string; metadata: Metadata }[];
  metadata: Metadata;
}

/** PublishEvent and BulkPublishEvent(Alpha1), onto the same PubSubService calls as the HTTP API. */
export function publishHandlers(context: GrpcApiContext): DaprHandlers {
  const { services } = context;

  const bulkPublish = unary(async (request: BulkPublishRequest) => {
    const { topic, metadata } = request;
    const pubsub = publishTarget(services, request.pubsub_name, topic, metadata);
    const result = await pubsub.bulkPublish({
      topic,
      entries: request.entries.map((entry) => ({
        entryId: entry.entry_id,
        event: new Uint8Array(entry.event),
        contentType: entry.content_type,
        // Entry metadata overrides the request's, key by key.
        metadata: { ...metadata, ...entry.metadata },
      })),
      metadata,
    });
    if (result.failedEntries.length > 0) {
      // daprd answers a gRPC caller with an error as soon as one entry failed; its
      // failedEntries list only ever reaches HTTP callers (pkg/api/grpc/grpc.go bulkPublishEvent).
      const first = result.failedEntries[0]!;
      const detail = result.failedEntries.map((f) => `${f.entryId}: ${f.error}`).join('; ');
      throw new MechaError('ERR_PUBSUB_PUBLISH_MESSAGE', 'internal', `error when publishing to topic ${topic} in pubsub ${pubsub.name}: ${detail}`, {
        reason: 'DAPR_PUBSUB_PUBLISH_MESSAGE',
        resource: { type: 'pubsub', name: pubsub.name },
        metadata: { topic, error: first.error, failedEntries: result.failedEntries.map((f) => f.entryId).join(',') },
      });
    }
    return { failedEntries: [] };
  });

  return {
    PublishEvent: unary(async (request: PublishEventRequest) => {
      const pubsub = publishTarget(services, request.pubsub_name, request.topic, request.metadata);
      // As over HTTP, data without a content type is text/plain (daprd's CloudEvent default).
      await pubsub.publish({ topic: request.topic, data: new Uint8Array(request.data), contentType: request.data_content_type || 'text/plain', metadata: request.metadata });
      return {};
    }),
    BulkPublishEvent: bulkPublish,
    BulkPublishEventAlpha1: bulkPublish,
  };
}
