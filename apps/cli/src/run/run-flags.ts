import type { FlagSpec } from '../flags/flag-parser.ts';

/**
 * `mecha run` accepts every flag of `dapr run` (cmd/run.go), with the same names, short
 * forms and meanings, plus `--dapr-graceful-shutdown-seconds` handed to the sidecar.
 */
export const runFlagSpecs: readonly FlagSpec[] = [
  { name: 'app-id', short: 'a', kind: 'string', description: 'The id for your application, used for service discovery' },
  { name: 'app-port', short: 'p', kind: 'int', description: 'The port your application is listening on' },
  { name: 'app-protocol', short: 'P', kind: 'string', description: 'The protocol the sidecar uses to talk to the app: http, https, grpc, grpcs, h2c', defaultText: '"http"' },
  { name: 'app-channel-address', kind: 'string', description: 'The network address the application listens on', defaultText: '"127.0.0.1"' },
  { name: 'dapr-http-port', short: 'H', kind: 'int', description: 'The HTTP port for the sidecar to listen on', defaultText: 'a free port' },
  { name: 'dapr-grpc-port', short: 'G', kind: 'int', description: 'The gRPC port for the sidecar to listen on', defaultText: 'a free port' },
  { name: 'dapr-internal-grpc-port', short: 'I', kind: 'int', description: 'The port for the internal gRPC API between sidecars', defaultText: 'a free port' },
  { name: 'metrics-port', short: 'M', kind: 'int', description: 'The port of the metrics server', defaultText: 'a free port' },
  { name: 'resources-path', kind: 'list', description: 'A folder (or file) of resource YAML; repeatable', defaultText: '$MECHA_HOME/components' },
  { name: 'components-path', short: 'd', kind: 'list', description: 'Deprecated alias of --resources-path' },
  { name: 'config', short: 'c', kind: 'string', description: 'A Configuration YAML file', defaultText: '$MECHA_HOME/config.yaml if it exists' },
  { name: 'log-level', kind: 'string', description: 'Sidecar log level: debug, info, warn, error, fatal', defaultText: '"info"' },
  { name: 'log-as-json', kind: 'boolean', description: 'Sidecar logs as JSON lines' },
  { name: 'enable-api-logging', kind: 'boolean', description: 'Log every API call at info level' },
  { name: 'app-max-concurrency', kind: 'int', description: 'How many requests the sidecar sends the app at once', defaultText: 'unlimited' },
  { name: 'max-body-size', kind: 'string', description: 'Largest request body the sidecar accepts', defaultText: '"4Mi"' },
  { name: 'read-buffer-size', kind: 'string', description: 'Largest request header block the sidecar accepts', defaultText: '"4Ki"' },
  { name: 'dapr-http-max-request-size', kind: 'int', description: 'Deprecated: largest request body in MB' },
  { name: 'dapr-http-read-buffer-size', kind: 'int', description: 'Deprecated: header read buffer in KB' },
  { name: 'enable-app-health-check', kind: 'boolean', description: 'Probe the app for health over its protocol' },
  { name: 'app-health-check-path', kind: 'string', description: 'Path of the HTTP health probe', defaultText: '"/healthz"' },
  { name: 'app-health-probe-interval', kind: 'int', description: 'Seconds between health probes', defaultText: '5' },
  { name: 'app-health-probe-timeout', kind: 'int', description: 'Milliseconds before a health probe fails', defaultText: '500' },
  { name: 'app-health-threshold', kind: 'int', description: 'Failed probes before the app counts as unhealthy', defaultText: '3' },
  { name: 'unix-domain-socket', short: 'u', kind: 'string', description: 'Folder for Unix domain sockets; the sidecar serves its APIs there instead of TCP ports' },
  { name: 'placement-host-address', kind: 'string', description: 'Address of the actor placement service (passed to the sidecar only when given)' },
  { name: 'scheduler-host-address', kind: 'string', description: 'Address of the scheduler service (passed to the sidecar only when given)' },
  { name: 'dapr-listen-addresses', kind: 'string', description: 'Comma-separated addresses the sidecar listens on' },
  { name: 'dapr-graceful-shutdown-seconds', kind: 'int', description: 'Seconds the sidecar waits for in-flight work when stopping', defaultText: '5' },
  { name: 'enable-profiling', kind: 'boolean', description: 'Serve a profiling endpoint' },
  { name: 'profile-port', kind: 'int', description: 'The port of the profiling endpoint', defaultText: 'a free port when profiling' },
  { name: 'app-ssl', kind: 'boolean', description: 'Deprecated: use --app-protocol https or grpcs', hidden: true },
  { name: 'run-file', short: 'f', kind: 'string', description: 'Run every app of a run file (a YAML file, a folder holding dapr.yaml, or - for stdin)' },
  { name: 'kubernetes', short: 'k', kind: 'boolean', description: 'Not supported: Mecha runs apps on this machine only' },
  { name: 'runtime-path', kind: 'string', description: 'Accepted for dapr compatibility; ignored (mechad ships with the CLI)', hidden: true },
  { name: 'help', short: 'h', kind: 'boolean', description: 'Help for run' },
];

/** Flags `dapr run` lets through next to --run-file; the others are ignored with a warning. */
export const RUN_FILE_COMPATIBLE_FLAGS: readonly string[] = ['run-file', 'kubernetes', 'help', 'runtime-path', 'log-as-json'];
