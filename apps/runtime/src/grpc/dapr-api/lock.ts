import type { DaprHandlers } from '../handlers.ts';
import { unary } from '../handlers.ts';
import type { GrpcApiContext } from './context.ts';

interface TryLockRequest {
  store_name: string;
  resource_id: string;
  lock_owner: string;
  expiry_in_seconds: number;
}

interface UnlockRequest {
  store_name: string;
  resource_id: string;
  lock_owner: string;
}

/** TryLockAlpha1 and UnlockAlpha1, over the same LockService as the HTTP API. */
export function lockHandlers(context: GrpcApiContext): DaprHandlers {
  const { services } = context;
  return {
    TryLockAlpha1: unary(async (request: TryLockRequest) => {
      const locks = services.lockStore(request.store_name);
      return {
        success: await locks.tryLock({ resourceId: request.resource_id, lockOwner: request.lock_owner, expiryInSeconds: request.expiry_in_seconds }),
      };
    }),
    UnlockAlpha1: unary(async (request: UnlockRequest) => {
      const locks = services.lockStore(request.store_name);
      return { status: await locks.unlock({ resourceId: request.resource_id, lockOwner: request.lock_owner }) };
    }),
  };
}
