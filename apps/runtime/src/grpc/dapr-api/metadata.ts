import type { DaprHandlers } from '../handlers.ts';
import { unary } from '../handlers.ts';
import type { GrpcApiContext } from './context.ts';

/** GetMetadata, SetMetadata and Shutdown: the sidecar's own surface. */
export function metadataHandlers(context: GrpcApiContext): DaprHandlers {
  const { metadata } = context;
  return {
    GetMetadata: unary(async () => {
      const view = metadata.snapshot() as {
        id: string;
        runtimeVersion: string;
        enabledFeatures: string[];
        components: { name: string; type: string; version: string; capabilities: string[] }[];
        extended: Record<string, string>;
        subscriptions: { pubsubname: string; topic: string; metadata?: Record<string, string>; rules?: { match?: string; path?: string }[]; deadLetterTopic: string; type: string }[];
        httpEndpoints: { name: string }[];
        appConnectionProperties: { port?: number; protocol?: string; channelAddress?: string; maxConcurrency?: number };
      };
      return {
        id: view.id,
        runtime_version: view.runtimeVersion,
        enabled_features: view.enabledFeatures,
        registered_components: view.components,
        extended_metadata: view.extended,
        subscriptions: view.subscriptions.map((s) => ({
          pubsub_name: s.pubsubname,
          topic: s.topic,
          metadata: s.metadata ?? {},
          rules: { rules: (s.rules ?? []).map((r) => ({ match: r.match ?? '', path: r.path ?? '' })) },
          dead_letter_topic: s.deadLetterTopic,
          type: s.type,
        })),
        http_endpoints: view.httpEndpoints,
        app_connection_properties: {
          port: view.appConnectionProperties.port ?? 0,
          protocol: view.appConnectionProperties.protocol ?? '',
          channel_address: view.appConnectionProperties.channelAddress ?? '',
          max_concurrency: view.appConnectionProperties.maxConcurrency ?? 0,
        },
        actor_runtime: { runtime_status: 'DISABLED', host_ready: false, placement: '' },
      };
    }),
    SetMetadata: unary(async (request: { key: string; value: string }) => {
      metadata.setExtended(request.key, request.value);
      return {};
    }),
    Shutdown: unary(async () => {
      // Answer first, then drain, as the HTTP API does.
      setImmediate(() => context.shutdown('gRPC Shutdown'));
      return {};
    }),
  };
}
