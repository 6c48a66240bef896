import type { FastifyInstance } from 'fastify';
import type { ComponentHealth } from '../../component-health.ts';
import type { ComponentInfo, RuntimeMetadata } from '../../runtime-metadata.ts';
import { rawBody } from '../request-helpers.ts';

export function registerMetadataRoutes(app: FastifyInstance, metadata: RuntimeMetadata, health: ComponentHealth): void {
  app.get('/v1.0/metadata', async (_request, reply) => {
    const snapshot = metadata.snapshot();
    // A field daprd does not have: each probed component's health, `{status: UP}` or
    // `{status: DOWN, message}`. SDKs ignore fields they do not know.
    const byName = new Map((await health.check()).map(({ name, ...status }) => [name, status]));
    snapshot['components'] = (snapshot['components'] as ComponentInfo[]).map((component) => {
      const status = byName.get(component.name);
      return status ? { ...component, health: status } : component;
    });
    return reply.code(200).send(snapshot);
  });
  app.put<{ Params: { key: string } }>('/v1.0/metadata/:key', async (request, reply) => {
    metadata.setExtended(request.params.key, rawBody(request).toString('utf8'));
    return reply.code(204).send();
  });
}
