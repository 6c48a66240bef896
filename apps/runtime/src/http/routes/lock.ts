import type { FastifyInstance } from 'fastify';
import { unlockStatusCode } from '@mecha/lock';
import type { BlockServices } from '../../block-services.ts';
import { isRecord, jsonBody, malformed } from '../request-helpers.ts';

function body(request: Parameters<typeof jsonBody>[0]): Record<string, unknown> {
  const parsed = jsonBody(request, 'failed deserializing HTTP body: ');
  if (!isRecord(parsed)) throw malformed('the request body must be a JSON object');
  return parsed;
}

/**
 * Dapr's distributed lock API: `{success}` from a try-lock, `{status}` (0–3) from an unlock.
 * Served under `/v1.0-alpha1` (the SDKs' path) and `/v1.0` (newer daprd's).
 */
export function registerLockRoutes(app: FastifyInstance, services: BlockServices): void {
  for (const version of ['v1.0-alpha1', 'v1.0']) {
    app.post<{ Params: { store: string } }>(`/${version}/lock/:store`, async (request, reply) => {
      const locks = services.lockStore(request.params.store);
      const { resourceId, lockOwner, expiryInSeconds } = body(request);
      return reply.code(200).send({ success: await locks.tryLock({ resourceId, lockOwner, expiryInSeconds }) });
    });
    app.post<{ Params: { store: string } }>(`/${version}/unlock/:store`, async (request, reply) => {
      const locks = services.lockStore(request.params.store);
      const { resourceId, lockOwner } = body(request);
      return reply.code(200).send({ status: unlockStatusCode[await locks.unlock({ resourceId, lockOwner })] });
    });
  }
}
