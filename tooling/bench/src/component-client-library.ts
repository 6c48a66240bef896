import { createRequire } from 'node:module';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

/** The component packages whose client libraries the baselines load. */
export type ClientComponent = 'state-redis' | 'state-postgresql' | 'pubsub-redis' | 'pubsub-kafka' | 'pubsub-rabbitmq' | 'pubsub-mqtt3' | 'pubsub-jetstream';

/**
 * Loads a client library (ioredis, pg, kafkajs, amqplib, mqtt, @nats-io/*) from the folder of
 * the component that uses it, so the bare-client baselines run the very copy mechad's component
 * runs, and the benchmark does not declare the libraries itself.
 */
export function componentClientLibrary(component: ClientComponent, library: string): unknown {
  return workspaceLibrary(`components/${component}`, library);
}

/** Loads a library from a workspace package's folder (`packages/invocation` for undici, the HTTP client mechad itself uses). */
export function workspaceLibrary(packageDir: string, library: string): unknown {
  return createRequire(path.join(repoRoot, packageDir, 'package.json'))(library);
}
