import type { FastifyInstance } from 'fastify';
import type { RuntimeMetadata } from '../../runtime-metadata.ts';
import { rawBody } from '../request-helpers.ts';

export function registerMetadataRoutes(app: FastifyInstance, metadata: RuntimeMetadata): void {
  app.get('/v1.0/metadata', async (_request, reply) => reply.code(200).send(metadata.snapshot()));
  app.put<{ Params: { key: string } }>('/v1.0/metadata/:key', async (request, reply) => {
    metadata.setExtended(request.params.key, rawBody(request).toString('utf8'));
    return reply.code(204).send();
  });
}
