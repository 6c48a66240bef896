/**
 * daprd's command-line flags, so tools built for daprd (the dapr CLI, injectors, test
 * harnesses) can start `mechad` unchanged. `built: false` marks a flag whose feature Mecha
 * does not have yet: it is accepted and reported with a warning, never an error.
 */
export type FlagKind = 'string' | 'int' | 'bool' | 'list';

export interface FlagSpec {
  kind: FlagKind;
  built: boolean;
  default?: string | number | boolean;
  help: string;
}

export const daprdFlags: Readonly<Record<string, FlagSpec>> = {
  'app-id': { kind: 'string', built: true, help: 'A unique ID for the app, used for service discovery and state key prefixes' },
  'app-port': { kind: 'string', built: true, help: 'The port the app listens on' },
  'app-protocol': { kind: 'string', built: true, default: 'http', help: 'Protocol of the app: http, https (grpc, grpcs, h2c come with the gRPC issue)' },
  'app-channel-address': { kind: 'string', built: true, default: '127.0.0.1', help: 'Network address the app listens on' },
  'app-max-concurrency': { kind: 'int', built: true, default: -1, help: 'Maximum concurrent calls to the app (-1: unlimited)' },
  'app-ssl': { kind: 'bool', built: true, help: 'Deprecated: use --app-protocol https' },
  'dapr-http-port': { kind: 'int', built: true, default: 3500, help: 'HTTP port of the Dapr API' },
  'dapr-grpc-port': { kind: 'int', built: true, default: 50001, help: 'gRPC port of the Dapr API' },
  'dapr-internal-grpc-port': { kind: 'string', built: true, help: 'gRPC port for sidecar-to-sidecar calls (default: chosen at start, as daprd does)' },
  'dapr-internal-grpc-listen-address': { kind: 'string', built: false, help: 'Listen address of the internal gRPC server' },
  'dapr-public-port': { kind: 'string', built: false, help: 'Public port for health and metadata' },
  'dapr-public-listen-address': { kind: 'string', built: false, help: 'Listen address of the public port' },
  'dapr-listen-addresses': { kind: 'string', built: true, help: 'Addresses the API servers listen on (comma-separated; default all interfaces)' },
  'resources-path': { kind: 'list', built: true, help: 'Folder or file of resource YAML (repeatable)' },
  'components-path': { kind: 'list', built: true, help: 'Deprecated alias of --resources-path' },
  config: { kind: 'list', built: true, help: 'Path to a Configuration file' },
  'log-level': { kind: 'string', built: true, default: 'info', help: 'debug, info, warn, error, fatal' },
  'log-as-json': { kind: 'bool', built: true, help: 'Log one JSON object per line' },
  'log-file': { kind: 'string', built: true, help: 'Write logs to this file instead of standard error' },
  'enable-api-logging': { kind: 'bool', built: true, help: 'Log every API call' },
  'max-body-size': { kind: 'string', built: true, default: '4Mi', help: 'Maximum request body size (e.g. 4Mi, 16Mi, 1Gi)' },
  'dapr-http-max-request-size': { kind: 'int', built: true, help: 'Deprecated: maximum request body in MB (--max-body-size wins)' },
  'read-buffer-size': { kind: 'string', built: true, default: '4Ki', help: 'Maximum size of request headers (e.g. 4Ki, 16Ki)' },
  'dapr-http-read-buffer-size': { kind: 'int', built: true, help: 'Deprecated: maximum header size in KB' },
  'dapr-graceful-shutdown-seconds': { kind: 'int', built: true, default: 5, help: 'Seconds to drain in-flight work on shutdown' },
  'dapr-block-shutdown-duration': { kind: 'string', built: false, help: 'Keep serving for this long after a shutdown signal' },
  'enable-app-health-check': { kind: 'bool', built: false, help: 'Probe the app health endpoint' },
  'app-health-check-path': { kind: 'string', built: false, default: '/healthz', help: 'App health path' },
  'app-health-probe-interval': { kind: 'int', built: false, default: 5, help: 'Seconds between app health probes' },
  'app-health-probe-timeout': { kind: 'int', built: false, default: 500, help: 'App health probe timeout in ms' },
  'app-health-threshold': { kind: 'int', built: false, default: 3, help: 'Failed probes before the app is unhealthy' },
  'metrics-port': { kind: 'int', built: false, default: 9090, help: 'Prometheus metrics port' },
  'metrics-listen-address': { kind: 'string', built: false, help: 'Metrics listen address' },
  'enable-metrics': { kind: 'bool', built: false, help: 'Serve Prometheus metrics' },
  'enable-profiling': { kind: 'bool', built: false, help: 'Serve the profiling endpoint' },
  'profile-port': { kind: 'int', built: false, default: 7777, help: 'Profiling port' },
  'unix-domain-socket': { kind: 'string', built: false, help: 'Serve the API on a Unix domain socket in this folder' },
  mode: { kind: 'string', built: true, default: 'standalone', help: 'standalone (kubernetes is not supported)' },
  'placement-host-address': { kind: 'string', built: false, help: 'Actor placement service addresses' },
  'scheduler-host-address': { kind: 'list', built: false, help: 'Scheduler service addresses' },
  'scheduler-job-streams': { kind: 'int', built: false, help: 'Scheduler job streams' },
  'control-plane-address': { kind: 'string', built: false, help: 'Control plane address' },
  'control-plane-trust-domain': { kind: 'string', built: false, help: 'Control plane trust domain' },
  'control-plane-namespace': { kind: 'string', built: false, help: 'Control plane namespace' },
  'sentry-address': { kind: 'string', built: false, help: 'Sentry (mTLS) address' },
  'sentry-request-jwt-audiences': { kind: 'list', built: false, help: 'JWT audiences for sentry' },
  'enable-mtls': { kind: 'bool', built: false, help: 'Enable mTLS between sidecars' },
  'allowed-origins': { kind: 'string', built: false, help: 'CORS allowed origins' },
  'actors-disseminate-timeout': { kind: 'string', built: false, help: 'Actor table dissemination timeout' },
  'hot-reload-reconcile-interval': { kind: 'string', built: false, help: 'Hot reload interval' },
  'app-binding-options-timeout': { kind: 'string', built: true, help: 'How long asking the app which input bindings it serves may take (OPTIONS probe or ListInputBindings); default 3s' },
  'disable-init-endpoints': { kind: 'list', built: true, help: 'Init endpoints not to call on the app: config, subscribe' },
  'disable-builtin-k8s-secret-store': { kind: 'bool', built: true, help: 'No built-in Kubernetes secret store (there is none here anyway)' },
  'kubernetes-api-server-url': { kind: 'string', built: false, help: 'Kubernetes API server' },
  'reminders-service': { kind: 'string', built: false, help: 'Deprecated reminders service' },
  'actors-service': { kind: 'string', built: false, help: 'Deprecated actors service' },
  wait: { kind: 'bool', built: true, help: 'Wait for the app port (always done)' },
  version: { kind: 'bool', built: true, help: 'Print the version and exit' },
  'build-info': { kind: 'bool', built: true, help: 'Print build information and exit' },
  help: { kind: 'bool', built: true, help: 'Show this help' },
};

export type ParsedFlags = Record<string, string | number | boolean | string[]>;

export class FlagError extends Error {
  override readonly name = 'FlagError';
}

function coerce(name: string, spec: FlagSpec, raw: string): string | number | boolean {
  switch (spec.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) throw new FlagError(`invalid value "${raw}" for flag --${name}: expected an integer`);
      return Number(raw);
    }
    case 'bool': {
      const lower = raw.toLowerCase();
      if (['true', '1', 't'].includes(lower)) return true;
      if (['false', '0', 'f'].includes(lower)) return false;
      throw new FlagError(`invalid value "${raw}" for flag --${name}: expected true or false`);
    }
    default:
      return raw;
  }
}

/**
 * Parses daprd-style arguments: `--flag value`, `--flag=value`, and the single-dash forms
 * older daprd releases accepted. A bare boolean flag means true; `--flag=false` sets false.
 */
export function parseDaprdFlags(argv: readonly string[]): { flags: ParsedFlags; unbuilt: string[] } {
  const flags: ParsedFlags = {};
  const unbuilt = new Set<string>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const match = /^--?([a-zA-Z][\w-]*)(?:=(.*))?$/s.exec(arg);
    if (!match) throw new FlagError(`unexpected argument "${arg}" (mechad takes only flags; see --help)`);
    const name = match[1]!;
    const spec = daprdFlags[name];
    if (!spec) throw new FlagError(`unknown flag: --${name} (see mechad --help)`);
    let raw = match[2];
    if (raw === undefined) {
      if (spec.kind === 'bool') raw = 'true';
      else {
        const next = argv[i + 1];
        if (next === undefined) throw new FlagError(`flag needs an argument: --${name}`);
        raw = next;
        i += 1;
      }
    }
    if (spec.kind === 'list') {
      const previous = (flags[name] as string[] | undefined) ?? [];
      flags[name] = [...previous, ...raw.split(',').map((s) => s.trim()).filter(Boolean)];
    } else {
      flags[name] = coerce(name, spec, raw);
    }
    if (!spec.built) unbuilt.add(name);
  }
  return { flags, unbuilt: [...unbuilt] };
}

/** daprd's --help text. */
export function flagsHelp(): string {
  const lines = Object.entries(daprdFlags).map(([name, spec]) => {
    const value = spec.kind === 'bool' ? '' : ` ${spec.kind === 'int' ? 'int' : 'string'}`;
    const def = spec.default === undefined ? '' : ` (default ${String(spec.default)})`;
    const note = spec.built ? '' : ' [accepted; not built yet]';
    return `  --${name}${value}\n        ${spec.help}${def}${note}`;
  });
  return ['Usage: mechad [flags]', '', 'Flags (daprd-compatible):', ...lines].join('\n');
}
