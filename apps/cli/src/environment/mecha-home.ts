import { homedir } from 'node:os';
import path from 'node:path';

/** The files `mecha init` writes and `mecha run` falls back to, all under MECHA_HOME. */
export interface MechaHome {
  root: string;
  componentsDir: string;
  configFile: string;
  dataDir: string;
  instancesDir: string;
}

/** MECHA_HOME, or `~/.mecha` (the counterpart of the dapr CLI's `~/.dapr`). */
export function mechaHome(env: NodeJS.ProcessEnv): MechaHome {
  const given = env.MECHA_HOME;
  const root = given !== undefined && given !== '' ? path.resolve(expandHome(given, env)) : path.join(homeDir(env), '.mecha');
  return {
    root,
    componentsDir: path.join(root, 'components'),
    configFile: path.join(root, 'config.yaml'),
    dataDir: path.join(root, 'data'),
    instancesDir: path.join(root, 'instances'),
  };
}

function homeDir(env: NodeJS.ProcessEnv): string {
  const home = env.HOME;
  return home !== undefined && home !== '' ? home : homedir();
}

/** Expands a leading `~` the way the dapr CLI does for run file paths. */
export function expandHome(given: string, env: NodeJS.ProcessEnv): string {
  if (given === '~') return homeDir(env);
  if (given.startsWith('~/')) return path.join(homeDir(env), given.slice(2));
  return given;
}

/** Resolves a user-given path: `~` expanded, relative paths against `base`. */
export function resolveUserPath(given: string, base: string, env: NodeJS.ProcessEnv): string {
  return path.resolve(base, expandHome(given, env));
}
