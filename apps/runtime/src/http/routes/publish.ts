import { MechaError } from '@mecha/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BlockServices } from '../../block-services.ts';
import { publishTarget } from '../../publish-target.ts';
import { isRecord, jsonBody, queryMetadata, rawBody, stringMap } from '../request-helpers.ts';

type Params = { pubsub: string; '*': string };

/** The topic is the rest of the path after the pub/sub name; may contain slashes. */
function topicOf(request: FastifyRequest<{ Params: Params }>): string {
  return request.params['*'];
}

function eventsError(pubsub: string, topic: string, detail: string, reason: string): MechaError {
  return new MechaError('ERR_PUBSUB_EVENTS_SER', 'invalid-argument', `error when marshaling events for topic ${topic} pubsub ${pubsub}: ${detail}`, {
    reason,
    resource: { type: 'pubsub', name: pubsub },
  });
}

/** One bulk entry's event as bytes, following daprd's content-type rules for the JSON form. */
function entryBytes(event: unknown, contentType: string, fail: (detail: string) => MechaError): Uint8Array {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/octet-stream') {
    if (typeof event !== 'string') throw fail('mismatch between contentType and event: expected a base64 string');
    return Buffer.from(event, 'base64');
  }
  if (type.startsWith('text/') || type === 'application/xml') {
    if (typeof event !== 'string') throw fail('mismatch between contentType and event: expected a string');
    return Buffer.from(event);
  }
  if (type === 'application/json' || type === 'application/cloudevents+json' || type.endsWith('+json')) {
    return Buffer.from(JSON.stringify(event));
  }
  throw fail(`mismatch between contentType and event: unsupported contentType "${contentType}"`);
}

export function registerPublishRoutes(app: FastifyInstance, services: BlockServices): void {
  const publish = async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const metadata = queryMetadata(request);
    const topic = topicOf(request);
    const pubsub = publishTarget(services, request.params.pubsub, topic, metadata);
    const contentType = request.headers['content-type'];
    // daprd treats a publish without a content type as text/plain.
    await pubsub.publish({ topic, data: rawBody(request), contentType: contentType || 'text/plain', metadata });
    return reply.code(204).send();
  };
  app.post<{ Params: Params }>('/v1.0/publish/:pubsub/*', publish);
  app.put<{ Params: Params }>('/v1.0/publish/:pubsub/*', publish);

  const bulkPublish = async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const metadata = queryMetadata(request);
    const pubsubName = request.params.pubsub;
    const topic = topicOf(request);
    const pubsub = publishTarget(services, pubsubName, topic, metadata);
    let body: unknown;
    try {
      body = jsonBody(request);
    } catch (error) {
      throw new MechaError('ERR_PUBSUB_EVENTS_SER', 'invalid-argument', `error when unmarshaling the request for topic ${topic} pubsub ${pubsubName}: ${(error as Error).message}`, {
        reason: 'DAPR_PUBSUB_UNMARSHAL_EVENTS',
      });
    }
    if (!Array.isArray(body)) {
      throw new MechaError('ERR_PUBSUB_EVENTS_SER', 'invalid-argument', `error when unmarshaling the request for topic ${topic} pubsub ${pubsubName}: expected a JSON array of entries`, {
        reason: 'DAPR_PUBSUB_UNMARSHAL_EVENTS',
      });
    }
    const seen = new Set<string>();
    const entries = body.map((entry, index) => {
      const fail = (detail: string) => eventsError(pubsubName, topic, `entry ${index}: ${detail}`, 'DAPR_PUBSUB_MARSHAL_ENVELOPE');
      if (!isRecord(entry)) throw fail('an entry must be an object');
      // daprd decodes field names case-insensitively; the JS SDK sends `entryID`.
      const field = (name: string) => entry[Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name];
      const entryId = field('entryId');
      if (typeof entryId !== 'string' || entryId === '' || seen.has(entryId)) {
        throw eventsError(pubsubName, topic, `entryId is duplicated or not present for entry ${index}`, 'DAPR_PUBSUB_MARSHAL_EVENTS');
      }
      seen.add(entryId);
      const contentType = field('contentType');
      if (typeof contentType !== 'string' || contentType === '') throw fail('mismatch between contentType and event: contentType is missing');
      return {
        entryId,
        event: entryBytes(field('event'), contentType, fail),
        contentType,
        metadata: { ...metadata, ...stringMap(field('metadata'), `entry ${index} metadata`) },
      };
    });
    const result = await pubsub.bulkPublish({ topic, entries, metadata });
    if (result.failedEntries.length === 0) return reply.code(204).send();
    const failure = { failedEntries: result.failedEntries, errorCode: 'ERR_PUBSUB_PUBLISH_MESSAGE' };
    return reply.code(500).type('application/json').send(JSON.stringify(failure));
  };
  for (const prefix of ['/v1.0-alpha1', '/v1.0']) {
    app.post<{ Params: Params }>(`${prefix}/publish/bulk/:pubsub/*`, bulkPublish);
    app.put<{ Params: Params }>(`${prefix}/publish/bulk/:pubsub/*`, bulkPublish);
  }
}
