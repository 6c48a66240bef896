import { existsSync } from 'node:fs';
import { CliError } from '../cli-error.ts';
import type { MechaHome } from '../environment/mecha-home.ts';
import { resolveUserPath } from '../environment/mecha-home.ts';
import type { ParsedFlags } from '../flags/flag-parser.ts';
import { randomAppId } from './random-app-id.ts';
import { APP_PROTOCOLS, DEFAULT_APP_CHANNEL_ADDRESS, type AppProtocol, type AppRunConfig } from './app-run-config.ts';

export interface FlagContext {
  /** The user's directory: relative paths resolve against it and the app runs in it. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  home: MechaHome;
}

export function parseAppProtocol(given: string, where: string): AppProtocol {
  const lowered = given.toLowerCase();
  if ((APP_PROTOCOLS as readonly string[]).includes(lowered)) return lowered as AppProtocol;
  throw new CliError(`${where}: invalid app protocol "${given}"; expected one of ${APP_PROTOCOLS.join(', ')}`);
}

/** The resources folders given, or the MECHA_HOME default when it exists (no folder at all otherwise). */
export function defaultResourcesPaths(home: MechaHome): string[] {
  return existsSync(home.componentsDir) ? [home.componentsDir] : [];
}

export function defaultConfigFile(home: MechaHome): string | undefined {
  return existsSync(home.configFile) ? home.configFile : undefined;
}

function existingPath(given: string, context: FlagContext, what: string): string {
  const resolved = resolveUserPath(given, context.cwd, context.env);
  if (!existsSync(resolved)) throw new CliError(`${what} not found: ${resolved}`);
  return resolved;
}

/** A port flag: absent, 0 or negative means "pick a free port", so the app can always be told the port. */
function portFlag(value: number | undefined): number {
  return value === undefined || value <= 0 ? -1 : value;
}

function optionalPositive(value: number | undefined): number | undefined {
  return value !== undefined && value > 0 ? value : undefined;
}

/** Turns `mecha run` flags into the app to run, with the dapr CLI's defaults. */
export function configFromFlags(flags: ParsedFlags, command: string[], context: FlagContext): AppRunConfig {
  const givenResources = [...flags.list('resources-path'), ...flags.list('components-path')];
  const resourcesPaths =
    givenResources.length > 0
      ? givenResources.map((given) => existingPath(given, context, 'resources path'))
      : defaultResourcesPaths(context.home);
  const config = flags.string('config');
  const configFile = config !== undefined && config !== '' ? existingPath(config, context, 'config file') : defaultConfigFile(context.home);
  let protocol = parseAppProtocol(flags.string('app-protocol') ?? 'http', '--app-protocol');
  // --app-ssl is the deprecated way of saying https/grpcs.
  if (flags.bool('app-ssl') === true) protocol = protocol === 'grpc' ? 'grpcs' : protocol === 'http' ? 'https' : protocol;
  const appPort = flags.int('app-port') ?? -1;
  const unixDomainSocket = flags.string('unix-domain-socket');
  const usesSocket = unixDomainSocket !== undefined && unixDomainSocket !== '';
  const appId = flags.string('app-id');

  return {
    appId: appId !== undefined && appId !== '' ? appId : randomAppId(),
    appDir: context.cwd,
    command,
    appPort: appPort > 0 ? appPort : 0,
    appProtocol: protocol,
    appChannelAddress: flags.string('app-channel-address') ?? DEFAULT_APP_CHANNEL_ADDRESS,
    // With Unix domain sockets the sidecar serves no TCP API ports, as with dapr.
    httpPort: usesSocket ? 0 : portFlag(flags.int('dapr-http-port')),
    grpcPort: usesSocket ? 0 : portFlag(flags.int('dapr-grpc-port')),
    internalGrpcPort: portFlag(flags.int('dapr-internal-grpc-port')),
    metricsPort: portFlag(flags.int('metrics-port')),
    enableProfiling: flags.bool('enable-profiling') ?? false,
    profilePort: portFlag(flags.int('profile-port')),
    resourcesPaths,
    ...(configFile !== undefined ? { configFile } : {}),
    logLevel: flags.string('log-level') ?? 'info',
    logAsJson: flags.bool('log-as-json') ?? false,
    enableApiLogging: flags.bool('enable-api-logging') ?? false,
    appMaxConcurrency: flags.int('app-max-concurrency') ?? -1,
    maxBodySize: flags.string('max-body-size'),
    readBufferSize: flags.string('read-buffer-size'),
    daprHttpMaxRequestSize: optionalPositive(flags.int('dapr-http-max-request-size')),
    daprHttpReadBufferSize: optionalPositive(flags.int('dapr-http-read-buffer-size')),
    placementHostAddress: flags.string('placement-host-address'),
    schedulerHostAddress: flags.string('scheduler-host-address'),
    unixDomainSocket: usesSocket ? resolveUserPath(unixDomainSocket, context.cwd, context.env) : undefined,
    appSsl: flags.bool('app-ssl') ?? false,
    enableAppHealthCheck: flags.bool('enable-app-health-check') ?? false,
    appHealthCheckPath: flags.string('app-health-check-path'),
    appHealthProbeInterval: optionalPositive(flags.int('app-health-probe-interval')),
    appHealthProbeTimeout: optionalPositive(flags.int('app-health-probe-timeout')),
    appHealthThreshold: optionalPositive(flags.int('app-health-threshold')),
    daprListenAddresses: flags.string('dapr-listen-addresses'),
    gracefulShutdownSeconds: flags.int('dapr-graceful-shutdown-seconds'),
    env: {},
    appLogDestination: 'console',
    daprdLogDestination: 'console',
  };
}
