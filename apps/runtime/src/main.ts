import { createWriteStream } from 'node:fs';
import { createLogger, ResourceFileError } from '@mecha/core';
import { FlagError, flagsHelp, parseDaprdFlags } from './config/daprd-flags.ts';
import { resolveOptions } from './config/options.ts';
import { RUNTIME_VERSION } from './runtime-metadata.ts';
import { Sidecar } from './sidecar.ts';

/** `mechad [daprd flags]`: runs until SIGINT/SIGTERM or `POST /v1.0/shutdown`; returns the exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  let options;
  try {
    parsed = parseDaprdFlags(argv);
    if (parsed.flags['help']) {
      console.log(flagsHelp());
      return 0;
    }
    if (parsed.flags['version'] || parsed.flags['build-info']) {
      console.log(RUNTIME_VERSION);
      return 0;
    }
    options = resolveOptions(parsed.flags, env);
    if (!options.appId) throw new FlagError('--app-id is required');
    if (parsed.flags['mode'] !== undefined && parsed.flags['mode'] !== 'standalone') {
      throw new FlagError(`--mode ${String(parsed.flags['mode'])} is not supported: mechad runs in standalone mode`);
    }
  } catch (error) {
    if (error instanceof FlagError) {
      console.error(`mechad: ${error.message}`);
      return 2;
    }
    throw error;
  }

  // Under `pnpm mechad`, pnpm runs the script in the repository root; work in the user's folder
  // instead, so relative paths inside component files (e.g. a SQLite file) land where daprd's would.
  if (env['npm_lifecycle_event'] === 'mechad' && env['INIT_CWD']) process.chdir(env['INIT_CWD']);

  const logger = createLogger({
    scope: 'mechad.runtime',
    level: options.logLevel,
    json: options.logAsJson,
    base: { app_id: options.appId },
    destination: options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined,
  });
  for (const flag of parsed.unbuilt) {
    logger.warn({ flag }, `flag --${flag} is accepted for daprd compatibility but its feature is not built yet: ignored`);
  }

  const sidecar = new Sidecar(options, logger);
  // A terminal's Ctrl-C often reaches the sidecar twice (from the terminal and from a parent
  // script forwarding it): later signals must not cut the drain short, so they are only noted.
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      logger.info({ signal }, 'already shutting down');
      return;
    }
    signalled = true;
    void sidecar.stop(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await sidecar.start();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    logger.fatal({ error: message, ...(error instanceof ResourceFileError ? { file: error.file, field: error.field } : {}) }, `mechad failed to start: ${message}`);
    await sidecar.stop('start failed');
    return 1;
  }
  await sidecar.stopped;
  return 0;
}
