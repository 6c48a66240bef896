/**
 * One app and its sidecar, as `mecha run` flags or one entry of a run file describe it,
 * after defaults and path resolution. Ports of -1 mean "pick a free port" (the dapr CLI's
 * convention); an app port of 0 means the app listens on none.
 */
export const APP_PROTOCOLS = ['http', 'https', 'grpc', 'grpcs', 'h2c'] as const;
export type AppProtocol = (typeof APP_PROTOCOLS)[number];

export const LOG_DESTINATIONS = ['console', 'file', 'fileAndConsole'] as const;
export type LogDestination = (typeof LOG_DESTINATIONS)[number];

export const DEFAULT_APP_CHANNEL_ADDRESS = '127.0.0.1';

export interface AppRunConfig {
  appId: string;
  /** Working directory of both the app and its sidecar (absolute). */
  appDir: string;
  /** The app's program and arguments; empty runs the sidecar alone. */
  command: string[];
  appPort: number;
  appProtocol: AppProtocol;
  appChannelAddress: string;
  httpPort: number;
  grpcPort: number;
  internalGrpcPort: number;
  metricsPort: number;
  enableProfiling: boolean;
  profilePort: number;
  /** Absolute paths, already checked to exist. */
  resourcesPaths: string[];
  configFile?: string;
  logLevel: string;
  logAsJson: boolean;
  enableApiLogging: boolean;
  /** -1 is unlimited. */
  appMaxConcurrency: number;
  maxBodySize?: string;
  readBufferSize?: string;
  /** Deprecated daprd flags in MB and KB; passed on only when given. */
  daprHttpMaxRequestSize?: number;
  daprHttpReadBufferSize?: number;
  placementHostAddress?: string;
  schedulerHostAddress?: string;
  unixDomainSocket?: string;
  appSsl: boolean;
  enableAppHealthCheck: boolean;
  appHealthCheckPath?: string;
  appHealthProbeInterval?: number;
  appHealthProbeTimeout?: number;
  appHealthThreshold?: number;
  daprListenAddresses?: string;
  gracefulShutdownSeconds?: number;
  /** Added to the environment of the app (and its sidecar), over the inherited one. */
  env: Record<string, string>;
  appLogDestination: LogDestination;
  daprdLogDestination: LogDestination;
  /** Folder for log files when a destination includes `file`. */
  logDir?: string;
  /** Absolute path of the run file this app came from, if any. */
  runFile?: string;
}

/** The same app once free ports have been picked: every port is concrete (0 = not used). */
export interface ResolvedAppRun extends AppRunConfig {
  readonly resolved: true;
}
