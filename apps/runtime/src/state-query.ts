import { MechaError } from '@mecha/core';
import { StateErrorCodes, StateErrorReasons, type StateQueryResponse, type StateService } from '@mecha/state';

/**
 * The state query API (`/v1.0-alpha1/state/{store}/query`, gRPC QueryStateAlpha1), shared by
 * both adapters: the query arrives as the text of Dapr's JSON query document. A store without
 * QUERY_API answers daprd's "does not support querying" before the body is read.
 */
export async function queryState(store: StateService, body: Uint8Array | string, metadata: Record<string, string>): Promise<StateQueryResponse> {
  store.assertQueryable();
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new MechaError(StateErrorCodes.query, 'internal', `state store ${store.name} query failed: failed to parse JSON query body: ${(error as Error).message}`, {
      reason: StateErrorReasons.queryFailed,
      resource: { type: 'state', name: store.name },
    });
  }
  return store.query(document, metadata);
}
