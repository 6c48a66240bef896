import type { ResolvedAppRun } from './app-run-config.ts';

/**
 * The app's environment: the inherited one, the variables the dapr CLI sets (an SDK reads
 * DAPR_HTTP_PORT/DAPR_GRPC_PORT to find its sidecar), then the run file's `env`, which wins.
 */
export function appEnv(app: ResolvedAppRun, inherited: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...inherited, APP_ID: app.appId, APP_CHANNEL_ADDRESS: app.appChannelAddress };
  if (app.appPort > 0) env.APP_PORT = String(app.appPort);
  if (app.httpPort > 0) env.DAPR_HTTP_PORT = String(app.httpPort);
  if (app.grpcPort > 0) env.DAPR_GRPC_PORT = String(app.grpcPort);
  if (app.metricsPort > 0) env.DAPR_METRICS_PORT = String(app.metricsPort);
  env.APP_PROTOCOL = app.appProtocol;
  return { ...env, ...app.env };
}

/** Run facts the sidecar records in its registry entry, read back by `mecha list` and `mecha stop`. */
export interface SidecarRunInfo {
  cliPid: number;
  runFile?: string;
  appLogPath?: string;
  daprdLogPath?: string;
}

/**
 * The sidecar's environment: the inherited one plus the run file's `env` (components may
 * read variables from it) and the MECHA_* facts mechad puts into its registry entry.
 */
export function sidecarEnv(app: ResolvedAppRun, inherited: NodeJS.ProcessEnv, info: SidecarRunInfo): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...inherited, ...app.env, MECHA_CLI_PID: String(info.cliPid) };
  // daprd's own default when started by the CLI: it advertises loopback, not a LAN address.
  if (env.DAPR_HOST_IP === undefined) env.DAPR_HOST_IP = '127.0.0.1';
  // Inherited values from an enclosing `mecha run` must not leak into this sidecar's entry.
  const setOrDelete = (key: string, value: string | undefined): void => {
    if (value === undefined) delete env[key];
    else env[key] = value;
  };
  setOrDelete('MECHA_APP_COMMAND', app.command.length > 0 ? app.command.join(' ') : undefined);
  setOrDelete('MECHA_RUN_FILE', info.runFile);
  setOrDelete('MECHA_APP_LOG_PATH', info.appLogPath);
  setOrDelete('MECHA_DAPRD_LOG_PATH', info.daprdLogPath);
  return env;
}
