import { isMechaError, type Logger } from '@mecha/core';
import type { InvocationService } from '@mecha/invocation';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { configurationDelivery, configurationItemsJson } from '../../app/configuration-delivery.ts';
import type { BlockServices } from '../../block-services.ts';
import { queryMetadata } from '../request-helpers.ts';

/** Every `key` query parameter, as daprd reads them (none: all keys). */
function queryKeys(request: FastifyRequest): string[] {
  const value = (request.query as Record<string, string | string[] | undefined>)['key'];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * Dapr's configuration API, under `/v1.0` and `/v1.0-alpha1`: read items (204 when none is
 * found), subscribe (updates go to the app at `/configuration/<store>/<key>`), unsubscribe by id.
 */
export function registerConfigurationRoutes(app: FastifyInstance, services: BlockServices, invocation: InvocationService, logger: Logger): void {
  const deliveryLogger = logger.child({ scope: 'mechad.configuration' });
  for (const version of ['v1.0-alpha1', 'v1.0']) {
    app.get<{ Params: { store: string } }>(`/${version}/configuration/:store`, async (request, reply) => {
      const configuration = services.configurationStore(request.params.store);
      const items = await configuration.get(queryKeys(request), queryMetadata(request));
      if (Object.keys(items).length === 0) return reply.code(204).send();
      return reply.code(200).send(configurationItemsJson(items));
    });

    app.get<{ Params: { store: string } }>(`/${version}/configuration/:store/subscribe`, async (request, reply) => {
      const store = request.params.store;
      const configuration = services.configurationStore(store);
      if (!invocation.hasAppChannel) {
        return reply.code(500).send({ errorCode: 'ERR_APP_CHANNEL_NIL', message: 'app channel is not initialized. cannot subscribe to configuration updates' });
      }
      const listener = configurationDelivery(invocation, services.appId, store, deliveryLogger);
      const id = await configuration.subscribe({ keys: queryKeys(request), metadata: queryMetadata(request) }, listener);
      return reply.code(200).send({ id });
    });

    app.get<{ Params: { store: string; id: string } }>(`/${version}/configuration/:store/:id/unsubscribe`, async (request, reply) => {
      const configuration = services.configurationStore(request.params.store);
      try {
        await configuration.unsubscribe(request.params.id);
      } catch (error) {
        // daprd answers a failed unsubscribe with its own body shape ({ok, message}), not the error format.
        if (!isMechaError(error) || error.code !== 'ERR_CONFIGURATION_UNSUBSCRIBE') throw error;
        return reply.code(500).send({ ok: false, message: error.message, errorCode: error.code });
      }
      return reply.code(200).send({ ok: true });
    });
  }
}
