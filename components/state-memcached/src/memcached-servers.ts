import { crc32 } from 'node:zlib';
import { MemcachedConnection } from './memcached-connection.ts';

/**
 * The servers of a `hosts` list. A key lives on the server picked by the CRC-32 of its
 * memcached key modulo the number of servers (the rule of Go's gomemcache client, so Dapr and
 * Mecha place keys alike).
 */
export class MemcachedServers {
  readonly connections: readonly MemcachedConnection[];

  constructor(hosts: readonly string[], timeoutMs: number) {
    if (hosts.length === 0) throw new Error('no memcached host given');
    this.connections = hosts.map((host) => new MemcachedConnection(host, timeoutMs));
  }

  for(key: string): MemcachedConnection {
    const connections = this.connections;
    if (connections.length === 1) return connections[0]!;
    return connections[crc32(key) % connections.length]!;
  }

  close(): void {
    for (const connection of this.connections) connection.close();
  }
}
