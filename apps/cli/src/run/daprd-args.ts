import { DEFAULT_APP_CHANNEL_ADDRESS, type ResolvedAppRun } from './app-run-config.ts';

/**
 * The sidecar's command line, in daprd's own flags and in the form the dapr CLI uses:
 * `--key value`, booleans as a bare `--flag`, and only what differs from daprd's defaults
 * or was asked for, so mechad (or daprd itself) reads it unchanged.
 */
export function daprdArgs(app: ResolvedAppRun): string[] {
  const args: string[] = ['--app-id', app.appId];
  const add = (flag: string, value: string | number | undefined): void => {
    if (value !== undefined && value !== '') args.push(`--${flag}`, String(value));
  };
  const addBare = (flag: string, on: boolean): void => {
    if (on) args.push(`--${flag}`);
  };

  if (app.httpPort > 0) add('dapr-http-port', app.httpPort);
  if (app.grpcPort > 0) add('dapr-grpc-port', app.grpcPort);
  if (app.internalGrpcPort > 0) add('dapr-internal-grpc-port', app.internalGrpcPort);
  if (app.metricsPort > 0) add('metrics-port', app.metricsPort);
  if (app.appPort > 0) add('app-port', app.appPort);
  add('app-protocol', app.appProtocol);
  if (app.appChannelAddress !== DEFAULT_APP_CHANNEL_ADDRESS) add('app-channel-address', app.appChannelAddress);
  for (const resources of app.resourcesPaths) add('resources-path', resources);
  add('config', app.configFile);
  add('log-level', app.logLevel);
  addBare('log-as-json', app.logAsJson);
  addBare('enable-api-logging', app.enableApiLogging);
  if (app.appMaxConcurrency > 0) add('app-max-concurrency', app.appMaxConcurrency);
  add('max-body-size', app.maxBodySize);
  add('read-buffer-size', app.readBufferSize);
  add('dapr-http-max-request-size', app.daprHttpMaxRequestSize);
  add('dapr-http-read-buffer-size', app.daprHttpReadBufferSize);
  add('placement-host-address', app.placementHostAddress);
  add('scheduler-host-address', app.schedulerHostAddress);
  add('unix-domain-socket', app.unixDomainSocket);
  addBare('app-ssl', app.appSsl);
  addBare('enable-app-health-check', app.enableAppHealthCheck);
  add('app-health-check-path', app.appHealthCheckPath);
  add('app-health-probe-interval', app.appHealthProbeInterval);
  add('app-health-probe-timeout', app.appHealthProbeTimeout);
  add('app-health-threshold', app.appHealthThreshold);
  add('dapr-listen-addresses', app.daprListenAddresses);
  add('dapr-graceful-shutdown-seconds', app.gracefulShutdownSeconds);
  if (app.enableProfiling) {
    addBare('enable-profiling', true);
    if (app.profilePort > 0) add('profile-port', app.profilePort);
  }
  return args;
}
