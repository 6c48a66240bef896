import { defineComponent, defineMetadata, parseDuration } from '@mecha/core';
import type { StateFeature, StateStore } from '@mecha/state';
import { MemcachedStateStore } from './memcached-state-store.ts';

export const definition = defineComponent({
  type: 'state.memcached',
  version: 'v1',
  block: 'state',
  description: 'State in memcached (its text protocol, no client library): ETags from CAS uniques, TTL; no transactions.',
  metadata: defineMetadata({
    hosts: {
      type: 'string',
      required: true,
      description: 'Comma-separated `host:port` list of memcached servers; each key lives on one server, chosen by the CRC-32 of the key.',
      example: 'memcached.default.svc.cluster.local:11211',
    },
    maxIdleConnections: {
      type: 'number',
      default: 2,
      description: 'Accepted for compatibility with Dapr: Mecha keeps one pipelined connection per server.',
    },
    timeout: {
      type: 'string',
      default: '1000',
      description: 'How long a request waits for the server to answer: milliseconds as a bare number (as in Dapr), or a duration such as `500ms` or `2s`.',
    },
  }),
  features: ['ETAG', 'TTL'] satisfies StateFeature[],
  create: async (metadata): Promise<StateStore> => {
    const hosts = metadata.hosts
      .split(',')
      .map((host) => host.trim())
      .filter((host) => host !== '');
    const store = new MemcachedStateStore({ hosts, timeoutMs: timeoutMs(metadata.timeout) });
    try {
      await store.ping();
    } catch (error) {
      await store.close();
      throw new Error(`cannot reach memcached at ${hosts.join(', ')}: ${(error as Error).message}`, { cause: error });
    }
    return store;
  },
});

/** Dapr reads `timeout` as milliseconds; a Go-style duration is accepted too. */
function timeoutMs(text: string): number {
  const trimmed = text.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) : parseDuration(trimmed);
  if (!(ms > 0)) throw new Error(`invalid memcached timeout '${text}': it must be positive`);
  return ms;
}
