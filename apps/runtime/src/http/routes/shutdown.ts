import type { FastifyInstance } from 'fastify';

export function registerShutdownRoutes(app: FastifyInstance, shutdown: (reason: string) => void): void {
  app.post('/v1.0/shutdown', async (_request, reply) => {
    // Answer first, then drain: the caller gets its 204 before the listener closes.
    reply.raw.once('finish', () => shutdown('POST /v1.0/shutdown'));
    return reply.code(204).send();
  });
}
