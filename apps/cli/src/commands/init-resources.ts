import { stringify } from 'yaml';

/**
 * The resources `mecha init` writes. Where `dapr init` sets up Redis and Zipkin containers,
 * Mecha needs nothing running: SQLite state in a file and in-memory pub/sub. No
 * `actorStateStore` here: the SQLite store is not declared as an actor store yet.
 */
export function stateStoreYaml(databaseFile: string): string {
  return stringify({
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'statestore' },
    spec: {
      type: 'state.sqlite',
      version: 'v1',
      metadata: [{ name: 'connectionString', value: databaseFile }],
    },
  });
}

export function pubsubYaml(): string {
  return stringify({
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'pubsub' },
    spec: { type: 'pubsub.in-memory', version: 'v1', metadata: [] },
  });
}

export function configurationYaml(): string {
  return stringify({
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Configuration',
    metadata: { name: 'daprConfig' },
    spec: {},
  });
}
