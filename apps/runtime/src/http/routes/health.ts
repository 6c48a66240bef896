import { MechaError } from '@mecha/core';
import type { FastifyInstance } from 'fastify';
import type { Readiness } from '../../readiness.ts';
import { queryParam } from '../request-helpers.ts';

export function registerHealthRoutes(app: FastifyInstance, readiness: Readiness, appId: string): void {
  app.get('/v1.0/healthz', async (request, reply) => {
    const wanted = queryParam(request, 'appid');
    if (wanted !== undefined && wanted !== appId) {
      throw new MechaError('ERR_HEALTH_APPID_NOT_MATCH', 'internal', 'dapr app-id does not match');
    }
    const waiting = readiness.notReady();
    if (waiting.length > 0) {
      throw new MechaError('ERR_HEALTH_NOT_READY', 'internal', `dapr is not ready: [${waiting.join(' ')}]`);
    }
    return reply.code(204).send();
  });
  app.get('/v1.0/healthz/outbound', async (_request, reply) => {
    if (!readiness.outboundReady) {
      throw new MechaError('ERR_OUTBOUND_HEALTH_NOT_READY', 'internal', 'dapr outbound is not ready');
    }
    return reply.code(204).send();
  });
}
