/**
 * The fields of a dapr multi-app run file (`pkg/runfileconfig`, `standalone.RunConfig`),
 * by YAML key. `shared` fields may sit in `common` and be overridden per app; `app` fields
 * only make sense per app. Paths are resolved by the loader (see run-file.ts).
 */
export type RunFileFieldKind = 'string' | 'int' | 'bool' | 'stringList' | 'path' | 'pathList' | 'env';

export interface RunFileField {
  key: string;
  kind: RunFileFieldKind;
  scope: 'app' | 'shared';
  /** Accepted for compatibility but without effect in Mecha (said once as a warning). */
  ignored?: string;
}

export const RUN_FILE_FIELDS: readonly RunFileField[] = [
  { key: 'appDirPath', kind: 'path', scope: 'app' },
  { key: 'appID', kind: 'string', scope: 'app' },
  { key: 'appChannelAddress', kind: 'string', scope: 'app' },
  { key: 'appPort', kind: 'int', scope: 'app' },
  { key: 'daprHTTPPort', kind: 'int', scope: 'app' },
  { key: 'daprGRPCPort', kind: 'int', scope: 'app' },
  { key: 'daprInternalGRPCPort', kind: 'int', scope: 'app' },
  { key: 'metricsPort', kind: 'int', scope: 'app' },
  { key: 'profilePort', kind: 'int', scope: 'app' },
  { key: 'command', kind: 'stringList', scope: 'app' },
  { key: 'unixDomainSocket', kind: 'path', scope: 'app' },
  { key: 'containerImage', kind: 'string', scope: 'app', ignored: 'containers are only used by `dapr run -k`' },
  { key: 'containerImagePullPolicy', kind: 'string', scope: 'app', ignored: 'containers are only used by `dapr run -k`' },
  { key: 'createService', kind: 'bool', scope: 'app', ignored: 'services are only used by `dapr run -k`' },
  { key: 'configFilePath', kind: 'path', scope: 'shared' },
  { key: 'resourcesPath', kind: 'path', scope: 'shared' },
  { key: 'resourcesPaths', kind: 'pathList', scope: 'shared' },
  { key: 'appProtocol', kind: 'string', scope: 'shared' },
  { key: 'apiListenAddresses', kind: 'string', scope: 'shared' },
  { key: 'enableProfiling', kind: 'bool', scope: 'shared' },
  { key: 'logLevel', kind: 'string', scope: 'shared' },
  { key: 'appMaxConcurrency', kind: 'int', scope: 'shared' },
  { key: 'placementHostAddress', kind: 'string', scope: 'shared' },
  { key: 'schedulerHostAddress', kind: 'string', scope: 'shared' },
  { key: 'appSSL', kind: 'bool', scope: 'shared' },
  { key: 'maxBodySize', kind: 'string', scope: 'shared' },
  { key: 'readBufferSize', kind: 'string', scope: 'shared' },
  { key: 'daprHTTPMaxRequestSize', kind: 'int', scope: 'shared' },
  { key: 'daprHTTPReadBufferSize', kind: 'int', scope: 'shared' },
  { key: 'enableAppHealthCheck', kind: 'bool', scope: 'shared' },
  { key: 'appHealthCheckPath', kind: 'string', scope: 'shared' },
  { key: 'appHealthProbeInterval', kind: 'int', scope: 'shared' },
  { key: 'appHealthProbeTimeout', kind: 'int', scope: 'shared' },
  { key: 'appHealthThreshold', kind: 'int', scope: 'shared' },
  { key: 'enableApiLogging', kind: 'bool', scope: 'shared' },
  { key: 'runtimePath', kind: 'path', scope: 'shared', ignored: 'mechad ships with the CLI' },
  { key: 'env', kind: 'env', scope: 'shared' },
  { key: 'daprdLogDestination', kind: 'string', scope: 'shared' },
  { key: 'appLogDestination', kind: 'string', scope: 'shared' },
];

export const RUN_FILE_FIELD_BY_KEY: ReadonlyMap<string, RunFileField> = new Map(RUN_FILE_FIELDS.map((field) => [field.key, field]));
