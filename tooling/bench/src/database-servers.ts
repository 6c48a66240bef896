import { connect } from 'node:net';
import os from 'node:os';
import type { ComponentSpec } from './component-files.ts';

/**
 * The database servers of the Redis and PostgreSQL sections: the ones `bash
 * tooling/services/up.sh redis postgresql` starts on loopback, or others named by the
 * environment. Every target of a section (mechad, the minimal server, the in-process client)
 * talks to the same server, each in its own keys or tables.
 */
export type DatabaseKind = 'redis' | 'postgres';

export interface DatabaseServer {
  kind: DatabaseKind;
  host: string;
  port: number;
}

export function databaseServer(kind: DatabaseKind): DatabaseServer {
  const address = kind === 'redis' ? process.env['MECHA_BENCH_REDIS'] || '127.0.0.1:6379' : process.env['MECHA_BENCH_POSTGRES'] || '127.0.0.1:5432';
  const at = address.lastIndexOf(':');
  return { kind, host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

export const postgresUser = 'postgres';
export const postgresPassword = 'postgres';
export const postgresDatabase = 'postgres';

/**
 * The pool size mechad's state.postgresql opens by default (the greater of 4 and the CPU
 * count), set explicitly on every target so all three use the same number of connections.
 */
export const postgresPoolSize = Math.max(4, os.cpus().length);

export function reachable(server: { host: string; port: number }, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: server.host, port: server.port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The component mechad loads for a section, as a Dapr user writes it. */
export function databaseComponent(server: DatabaseServer, name: string, table: string): ComponentSpec {
  if (server.kind === 'redis') return { name, type: 'state.redis', metadata: { redisHost: `${server.host}:${server.port}`, redisPassword: '' } };
  return {
    name,
    type: 'state.postgresql',
    metadata: {
      connectionString: `host=${server.host} port=${server.port} user=${postgresUser} password=${postgresPassword} database=${postgresDatabase}`,
      tableName: table,
      maxConns: String(postgresPoolSize),
    },
  };
}

export const databaseLabels: Record<DatabaseKind, { server: string; client: string }> = {
  redis: { server: 'Redis', client: 'ioredis' },
  postgres: { server: 'PostgreSQL', client: 'pg' },
};
