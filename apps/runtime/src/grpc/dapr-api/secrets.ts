import type { DaprHandlers } from '../handlers.ts';
import { unary } from '../handlers.ts';
import type { GrpcApiContext } from './context.ts';

interface GetSecretRequest {
  store_name: string;
  key: string;
  metadata: Record<string, string>;
}

interface GetBulkSecretRequest {
  store_name: string;
  metadata: Record<string, string>;
}

/** GetSecret and GetBulkSecret, over the same SecretsService as the HTTP API. */
export function secretHandlers(context: GrpcApiContext): DaprHandlers {
  const { services } = context;
  return {
    GetSecret: unary(async (request: GetSecretRequest) => {
      const secrets = services.secretStore(request.store_name);
      return { data: await secrets.get(request.key, request.metadata ?? {}) };
    }),
    GetBulkSecret: unary(async (request: GetBulkSecretRequest) => {
      const secrets = services.secretStore(request.store_name);
      const all = await secrets.bulkGet(request.metadata ?? {});
      return { data: Object.fromEntries(Object.entries(all).map(([name, secret]) => [name, { secrets: secret }])) };
    }),
  };
}
