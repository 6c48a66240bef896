import { MechaError } from '@mecha/core';
import type { StateService } from '@mecha/state';

/**
 * The state query API (`/v1.0-alpha1/state/{store}/query`, gRPC QueryStateAlpha1). No bundled
 * store declares QUERY_API yet, so the block answers daprd's "does not support querying"
 * error; a store that declared it would still get ERR_STATE_QUERY until queries are built.
 */
export function queryState(store: StateService): never {
  store.assertQueryable();
  throw new MechaError('ERR_STATE_QUERY', 'internal', `state store ${store.name} query failed: not implemented`, {
    reason: 'DAPR_STATE_QUERY_FAILED',
    resource: { type: 'state', name: store.name },
  });
}
