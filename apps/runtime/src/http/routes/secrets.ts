import type { FastifyInstance } from 'fastify';
import type { BlockServices } from '../../block-services.ts';
import { queryMetadata } from '../request-helpers.ts';

/** Dapr's secrets API: one secret's key/values, or every secret the app's scope allows. */
export function registerSecretRoutes(app: FastifyInstance, services: BlockServices): void {
  // The static `bulk` segment wins over `:name` in the router, as in daprd.
  app.get<{ Params: { store: string } }>('/v1.0/secrets/:store/bulk', async (request, reply) => {
    const secrets = services.secretStore(request.params.store);
    return reply.code(200).send(await secrets.bulkGet(queryMetadata(request)));
  });
  app.get<{ Params: { store: string; name: string } }>('/v1.0/secrets/:store/:name', async (request, reply) => {
    const secrets = services.secretStore(request.params.store);
    return reply.code(200).send(await secrets.get(request.params.name, queryMetadata(request)));
  });
}
