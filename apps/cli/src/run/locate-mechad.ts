import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CliError } from '../cli-error.ts';

/** How to start the sidecar: a program and the arguments that come before daprd's flags. */
export interface MechadLauncher {
  command: string;
  args: string[];
}

const SCRIPT = /\.(?:[cm]?js|[cm]?ts)$/;

/**
 * mechad of the installed @mecha/runtime, run by this same Node. MECHA_MECHAD_PATH
 * overrides it (tests use a stub); a path that is not a script is run as a program, so
 * `MECHA_MECHAD_PATH=$(which daprd)` runs real daprd under the same flags.
 */
export function locateMechad(env: NodeJS.ProcessEnv, cwd: string): MechadLauncher {
  const override = env.MECHA_MECHAD_PATH;
  let target: string;
  if (override !== undefined && override !== '') {
    target = path.resolve(cwd, override);
  } else {
    const runtimePackage = createRequire(import.meta.url).resolve('@mecha/runtime/package.json');
    target = path.join(path.dirname(runtimePackage), 'bin', 'mechad.js');
  }
  if (!existsSync(target)) throw new CliError(`mechad not found at ${target}`);
  return SCRIPT.test(target) ? { command: process.execPath, args: [target] } : { command: target, args: [] };
}
