import { createRequire } from 'node:module';
import type { KinesisClientConfig } from '@aws-sdk/client-kinesis';

interface NodeHttpHandlerModule {
  NodeHttpHandler: new (options?: { connectionTimeout?: number; requestTimeout?: number }) => unknown;
}

/**
 * An HTTP/1.1 request handler for the Kinesis client. The client's default handler speaks
 * HTTP/2 (for SubscribeToShard, which this binding does not use); over plain `http://` that is
 * HTTP/2 without TLS, which emulators such as kinesalite do not speak. Every call this binding
 * makes works over HTTP/1.1, on AWS as on an emulator. The handler class is the one the client
 * itself depends on (@smithy/node-http-handler), loaded from the client's own dependencies.
 */
export function http1RequestHandler(): KinesisClientConfig['requestHandler'] {
  const fromClient = createRequire(import.meta.resolve('@aws-sdk/client-kinesis'));
  const { NodeHttpHandler } = fromClient('@smithy/node-http-handler') as NodeHttpHandlerModule;
  return new NodeHttpHandler({ connectionTimeout: 5000 }) as KinesisClientConfig['requestHandler'];
}
