import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$MECHA_HOME/instances`, where `MECHA_HOME` defaults to `~/.mecha`: the folder every sidecar of this user on this host shares. */
export function defaultRegistryPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env['MECHA_HOME'] || join(homedir(), '.mecha'), 'instances');
}
