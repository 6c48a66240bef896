import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parseDuration, type LogLevel } from '@mecha/core';
import { FlagError, type ParsedFlags } from './daprd-flags.ts';
import { parseQuantity } from './quantity.ts';

/** Everything `mechad` needs to start, resolved from daprd's flags and environment. */
export interface SidecarOptions {
  appId: string;
  appPort?: number;
  appProtocol: 'http' | 'https' | 'grpc' | 'grpcs' | 'h2c';
  appChannelAddress: string;
  appMaxConcurrency: number;
  httpPort: number;
  grpcPort: number;
  /** `--dapr-internal-grpc-port`; undefined: chosen at start as daprd does. */
  internalGrpcPort?: number;
  listenAddresses: string[];
  resourcesPaths: string[];
  configPath?: string;
  logLevel: LogLevel;
  logAsJson: boolean;
  logFile?: string;
  enableApiLogging: boolean;
  maxBodyBytes: number;
  maxHeaderBytes: number;
  gracefulShutdownMs: number;
  /** `--app-binding-options-timeout`: the limit on asking the app whether it serves an input binding. */
  appBindingOptionsTimeoutMs: number;
  disableInitEndpoints: string[];
  namespace?: string;
  apiToken?: string;
  appApiToken?: string;
  /** Root of Mecha's per-user files (`MECHA_HOME`, default `~/.mecha`). */
  mechaHome: string;
  /** Facts the CLI hands over for `mecha list` (command, CLI pid, run file). */
  instanceLabels: Record<string, string>;
}

export function mechaHome(env: NodeJS.ProcessEnv = process.env): string {
  return env['MECHA_HOME'] || path.join(homedir(), '.mecha');
}

const protocols = ['http', 'https', 'grpc', 'grpcs', 'h2c'] as const;
const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

function port(name: string, value: string | number | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new FlagError(`invalid port "${value}" for --${name}`);
  return n === 0 ? undefined : n;
}

/** daprd's default is 3s, and a non-positive value means the default. */
function bindingOptionsTimeout(value: string | undefined): number {
  if (value === undefined) return 3000;
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (error) {
    throw new FlagError(`invalid --app-binding-options-timeout: ${(error as Error).message}`);
  }
  return ms > 0 ? ms : 3000;
}

export function resolveOptions(flags: ParsedFlags, env: NodeJS.ProcessEnv = process.env): SidecarOptions {
  const home = mechaHome(env);
  const str = (name: string): string | undefined => (flags[name] === undefined ? undefined : String(flags[name]));
  const list = (name: string): string[] => (flags[name] as string[] | undefined) ?? [];

  let appProtocol = (str('app-protocol') ?? 'http') as SidecarOptions['appProtocol'];
  if (!protocols.includes(appProtocol)) {
    throw new FlagError(`invalid --app-protocol "${appProtocol}" (expected one of ${protocols.join(', ')})`);
  }
  if (flags['app-ssl'] === true && appProtocol === 'http') appProtocol = 'https';

  const logLevel = (str('log-level') ?? 'info') as LogLevel;
  if (!levels.includes(logLevel as (typeof levels)[number])) {
    throw new FlagError(`invalid --log-level "${logLevel}" (expected one of ${levels.join(', ')})`);
  }

  let maxBodyBytes = 4 * 1024 * 1024;
  try {
    if (flags['max-body-size'] !== undefined) maxBodyBytes = parseQuantity(String(flags['max-body-size']));
    else if (flags['dapr-http-max-request-size'] !== undefined) maxBodyBytes = Number(flags['dapr-http-max-request-size']) * 1024 * 1024;
  } catch (error) {
    throw new FlagError(`--max-body-size: ${(error as Error).message}`);
  }
  let maxHeaderBytes = 4 * 1024;
  try {
    if (flags['read-buffer-size'] !== undefined) maxHeaderBytes = parseQuantity(String(flags['read-buffer-size']));
    else if (flags['dapr-http-read-buffer-size'] !== undefined) maxHeaderBytes = Number(flags['dapr-http-read-buffer-size']) * 1024;
  } catch (error) {
    throw new FlagError(`--read-buffer-size: ${(error as Error).message}`);
  }

  // Under `pnpm mechad` the process runs in the repository root; pnpm keeps the user's folder in INIT_CWD.
  const base = env['INIT_CWD'] || process.cwd();
  let resourcesPaths = [...list('resources-path'), ...list('components-path')].map((p) => path.resolve(base, p));
  if (resourcesPaths.length === 0) {
    // daprd's self-hosted default is ~/.dapr/components; Mecha's is the folder `mecha init` writes.
    const fallback = path.join(home, 'components');
    resourcesPaths = existsSync(fallback) ? [fallback] : [];
  }
  const configs = list('config').map((p) => path.resolve(base, p));

  const labels: Record<string, string> = {};
  if (env['MECHA_CLI_PID']) labels['cliPid'] = env['MECHA_CLI_PID'];
  if (env['MECHA_APP_COMMAND']) labels['appCommand'] = env['MECHA_APP_COMMAND'];
  if (env['MECHA_RUN_FILE']) labels['runFile'] = env['MECHA_RUN_FILE'];

  const listen = str('dapr-listen-addresses');
  return {
    appId: str('app-id') ?? '',
    appPort: port('app-port', flags['app-port'] as string | undefined),
    appProtocol,
    appChannelAddress: str('app-channel-address') ?? '127.0.0.1',
    appMaxConcurrency: Number(flags['app-max-concurrency'] ?? -1),
    httpPort: port('dapr-http-port', flags['dapr-http-port'] as number | undefined) ?? 3500,
    grpcPort: port('dapr-grpc-port', flags['dapr-grpc-port'] as number | undefined) ?? 50001,
    internalGrpcPort: port('dapr-internal-grpc-port', flags['dapr-internal-grpc-port'] as string | undefined),
    listenAddresses: listen ? listen.split(',').map((s) => s.trim()).filter(Boolean) : [],
    resourcesPaths,
    configPath: configs[0],
    logLevel,
    logAsJson: flags['log-as-json'] === true,
    logFile: str('log-file') === undefined ? undefined : path.resolve(base, str('log-file')!),
    enableApiLogging: flags['enable-api-logging'] === true,
    maxBodyBytes,
    maxHeaderBytes,
    gracefulShutdownMs: Number(flags['dapr-graceful-shutdown-seconds'] ?? 5) * 1000,
    appBindingOptionsTimeoutMs: bindingOptionsTimeout(str('app-binding-options-timeout')),
    disableInitEndpoints: list('disable-init-endpoints'),
    namespace: env['NAMESPACE'] || undefined,
    apiToken: env['DAPR_API_TOKEN'] || undefined,
    appApiToken: env['APP_API_TOKEN'] || undefined,
    mechaHome: home,
    instanceLabels: labels,
  };
}
