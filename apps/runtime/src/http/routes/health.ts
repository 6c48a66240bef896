import { MechaError } from '@mecha/core';
import type { FastifyInstance } from 'fastify';
import type { ComponentHealth } from '../../component-health.ts';
import type { Readiness } from '../../readiness.ts';
import { queryParam } from '../request-helpers.ts';

export function registerHealthRoutes(app: FastifyInstance, readiness: Readiness, health: ComponentHealth, appId: string): void {
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
    // Beyond daprd, which checks only that components initialised: a backend that went away
    // since (a broker restarting) makes outbound calls fail, so it is reported here.
    const down = (await health.check()).flatMap((c) => (c.status === 'DOWN' ? [`${c.name}: ${c.message}`] : []));
    if (down.length > 0) {
      throw new MechaError('ERR_OUTBOUND_HEALTH_NOT_READY', 'internal', `dapr outbound is not ready: ${down.join('; ')}`);
    }
    return reply.code(204).send();
  });
}
