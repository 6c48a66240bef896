import { Command } from 'ioredis';
import type { RedisClient } from './redis-connection.ts';

export type CommandArgument = string | number | Buffer;

/**
 * Sends one command by name. ioredis' generic `call`/`callBuffer` lose the command name on
 * a client with auto-pipelining, so the less frequent commands go through here; the hot
 * ones (XADD, XACK) use the typed methods, which auto-pipeline. `binary` keeps bulk replies
 * as buffers (message payloads).
 */
export function send(client: RedisClient, name: string, args: CommandArgument[], binary = false): Promise<unknown> {
  return client.sendCommand(new Command(name, args, { replyEncoding: binary ? null : 'utf8' })) as Promise<unknown>;
}
