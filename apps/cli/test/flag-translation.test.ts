import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mechaHome } from '../src/environment/mecha-home.ts';
import { parseFlags } from '../src/flags/flag-parser.ts';
import { appEnv, sidecarEnv } from '../src/run/app-env.ts';
import type { AppRunConfig } from '../src/run/app-run-config.ts';
import { configFromFlags } from '../src/run/config-from-flags.ts';
import { daprdArgs } from '../src/run/daprd-args.ts';
import { resolvePorts } from '../src/run/free-port.ts';
import { runFlagSpecs } from '../src/run/run-flags.ts';
import { useTempDirs } from './temp-dirs.ts';

const tempDir = useTempDirs();

function configFor(argv: string[], cwd: string, homeRoot: string): AppRunConfig {
  const flags = parseFlags(runFlagSpecs, argv, { stopAtFirstPositional: true });
  return configFromFlags(flags, flags.positionals, { cwd, env: { MECHA_HOME: homeRoot, HOME: cwd }, home: mechaHome({ MECHA_HOME: homeRoot }) });
}

describe('configFromFlags', () => {
  it('applies the dapr CLI defaults: free ports, http, no app port, no resources when MECHA_HOME has none', () => {
    const cwd = tempDir();
    const config = configFor(['node', 'app.js'], cwd, path.join(cwd, 'home'));
    expect(config.appId).toMatch(/^[a-z]+-[a-z]+-\d{4}$/);
    expect(config).toMatchObject({
      appDir: cwd,
      command: ['node', 'app.js'],
      appPort: 0,
      appProtocol: 'http',
      httpPort: -1,
      grpcPort: -1,
      internalGrpcPort: -1,
      metricsPort: -1,
      resourcesPaths: [],
      logLevel: 'info',
      appMaxConcurrency: -1,
    });
    expect(config.configFile).toBeUndefined();
  });

  it('falls back to $MECHA_HOME/components and $MECHA_HOME/config.yaml when they exist', () => {
    const cwd = tempDir();
    const home = path.join(cwd, 'home');
    mkdirSync(path.join(home, 'components'), { recursive: true });
    writeFileSync(path.join(home, 'config.yaml'), 'kind: Configuration\n');
    const config = configFor([], cwd, home);
    expect(config.resourcesPaths).toEqual([path.join(home, 'components')]);
    expect(config.configFile).toBe(path.join(home, 'config.yaml'));
    expect(config.command).toEqual([]);
  });

  it('resolves relative paths against the user directory and refuses missing ones', () => {
    const cwd = tempDir();
    mkdirSync(path.join(cwd, 'res1'));
    mkdirSync(path.join(cwd, 'res2'));
    writeFileSync(path.join(cwd, 'cfg.yaml'), '');
    const config = configFor(['--resources-path', 'res1', '-d', './res2', '-c', 'cfg.yaml'], cwd, path.join(cwd, 'home'));
    expect(config.resourcesPaths).toEqual([path.join(cwd, 'res1'), path.join(cwd, 'res2')]);
    expect(config.configFile).toBe(path.join(cwd, 'cfg.yaml'));
    expect(() => configFor(['--resources-path', 'missing'], cwd, cwd)).toThrow(`resources path not found: ${path.join(cwd, 'missing')}`);
    expect(() => configFor(['--config', 'nope.yaml'], cwd, cwd)).toThrow(/config file not found/);
  });

  it('rejects an unknown app protocol and maps --app-ssl onto https/grpcs', () => {
    const cwd = tempDir();
    expect(() => configFor(['-P', 'ftp'], cwd, cwd)).toThrow(/invalid app protocol "ftp"/);
    expect(configFor(['--app-ssl'], cwd, cwd).appProtocol).toBe('https');
    expect(configFor(['--app-ssl', '-P', 'grpc'], cwd, cwd).appProtocol).toBe('grpcs');
    expect(configFor(['-P', 'GRPC'], cwd, cwd).appProtocol).toBe('grpc');
  });

  it('uses no TCP API ports with a Unix domain socket', () => {
    const cwd = tempDir();
    const config = configFor(['-u', 'sockets', '-H', '3500'], cwd, cwd);
    expect(config.unixDomainSocket).toBe(path.join(cwd, 'sockets'));
    expect(config.httpPort).toBe(0);
    expect(config.grpcPort).toBe(0);
  });
});

describe('daprdArgs', () => {
  it('passes every given option as daprd flags in --key value form', async () => {
    const cwd = tempDir();
    mkdirSync(path.join(cwd, 'res'));
    writeFileSync(path.join(cwd, 'cfg.yaml'), '');
    const config = configFor(
      [
        '-a', 'orders', '-p', '3000', '-P', 'grpc', '-H', '3501', '-G', '50002', '-I', '50003', '-M', '9091',
        '-d', 'res', '-c', 'cfg.yaml', '--log-level', 'debug', '--enable-api-logging', '--app-max-concurrency', '2',
        '--max-body-size', '8Mi', '--read-buffer-size', '8Ki', '--dapr-http-max-request-size', '16',
        '--app-channel-address', '10.0.0.2', '--enable-app-health-check', '--app-health-check-path', '/h',
        '--app-health-probe-interval', '7', '--app-health-probe-timeout', '800', '--app-health-threshold', '4',
        '--placement-host-address', 'localhost:50005', '--scheduler-host-address', 'localhost:50006',
        '--dapr-graceful-shutdown-seconds', '9', '--dapr-listen-addresses', '127.0.0.1', '--log-as-json',
        '--', 'node', 'app.js',
      ],
      cwd,
      cwd,
    );
    const args = daprdArgs(await resolvePorts(config, new Set()));
    expect(args).toEqual([
      '--app-id', 'orders',
      '--dapr-http-port', '3501',
      '--dapr-grpc-port', '50002',
      '--dapr-internal-grpc-port', '50003',
      '--metrics-port', '9091',
      '--app-port', '3000',
      '--app-protocol', 'grpc',
      '--app-channel-address', '10.0.0.2',
      '--resources-path', path.join(cwd, 'res'),
      '--config', path.join(cwd, 'cfg.yaml'),
      '--log-level', 'debug',
      '--log-as-json',
      '--enable-api-logging',
      '--app-max-concurrency', '2',
      '--max-body-size', '8Mi',
      '--read-buffer-size', '8Ki',
      '--dapr-http-max-request-size', '16',
      '--placement-host-address', 'localhost:50005',
      '--scheduler-host-address', 'localhost:50006',
      '--enable-app-health-check',
      '--app-health-check-path', '/h',
      '--app-health-probe-interval', '7',
      '--app-health-probe-timeout', '800',
      '--app-health-threshold', '4',
      '--dapr-listen-addresses', '127.0.0.1',
      '--dapr-graceful-shutdown-seconds', '9',
    ]);
  });

  it('leaves out defaults: no app port, the default channel address, unlimited concurrency, unset booleans', async () => {
    const cwd = tempDir();
    const args = daprdArgs(await resolvePorts(configFor(['-a', 'x'], cwd, cwd), new Set()));
    expect(args).not.toContain('--app-port');
    expect(args).not.toContain('--app-channel-address');
    expect(args).not.toContain('--app-max-concurrency');
    expect(args).not.toContain('--enable-api-logging');
    expect(args).not.toContain('--placement-host-address');
    expect(args.slice(0, 2)).toEqual(['--app-id', 'x']);
    // Free ports were picked for every API port.
    for (const flag of ['--dapr-http-port', '--dapr-grpc-port', '--dapr-internal-grpc-port', '--metrics-port']) {
      const value = Number(args[args.indexOf(flag) + 1]);
      expect(value).toBeGreaterThan(0);
    }
  });

  it('passes the socket folder and no ports when a Unix domain socket is used', async () => {
    const cwd = tempDir();
    const args = daprdArgs(await resolvePorts(configFor(['-a', 'x', '-u', '/tmp/s'], cwd, cwd), new Set()));
    expect(args).toContain('--unix-domain-socket');
    expect(args).not.toContain('--dapr-http-port');
    expect(args).not.toContain('--dapr-grpc-port');
  });

  it('passes profiling only when enabled, with a picked port', async () => {
    const cwd = tempDir();
    const off = daprdArgs(await resolvePorts(configFor(['--profile-port', '7777'], cwd, cwd), new Set()));
    expect(off).not.toContain('--enable-profiling');
    const on = daprdArgs(await resolvePorts(configFor(['--enable-profiling'], cwd, cwd), new Set()));
    expect(on).toContain('--enable-profiling');
    expect(Number(on[on.indexOf('--profile-port') + 1])).toBeGreaterThan(0);
  });
});

describe('resolvePorts', () => {
  it('never hands out the same port twice within one run and keeps given ports', async () => {
    const cwd = tempDir();
    const taken = new Set<number>();
    const first = await resolvePorts(configFor(['-H', '3500'], cwd, cwd), taken);
    const second = await resolvePorts(configFor([], cwd, cwd), taken);
    expect(first.httpPort).toBe(3500);
    const ports = [first.httpPort, first.grpcPort, first.internalGrpcPort, first.metricsPort, second.httpPort, second.grpcPort, second.internalGrpcPort, second.metricsPort];
    expect(new Set(ports).size).toBe(ports.length);
  });
});

describe('environment', () => {
  it('gives the app the dapr CLI variables, with the run file env winning', async () => {
    const cwd = tempDir();
    const config = await resolvePorts({ ...configFor(['-a', 'orders', '-p', '3000', '-H', '3501', '-G', '50002', '-M', '9091'], cwd, cwd), env: { APP_ID: 'override', EXTRA: '1' } }, new Set());
    const env = appEnv(config, { PATH: '/bin', DAPR_HTTP_PORT: 'stale' });
    expect(env).toMatchObject({
      PATH: '/bin',
      APP_ID: 'override',
      EXTRA: '1',
      APP_PORT: '3000',
      DAPR_HTTP_PORT: '3501',
      DAPR_GRPC_PORT: '50002',
      DAPR_METRICS_PORT: '9091',
      APP_PROTOCOL: 'http',
      APP_CHANNEL_ADDRESS: '127.0.0.1',
    });
  });

  it('omits APP_PORT when the app has no port', async () => {
    const cwd = tempDir();
    const env = appEnv(await resolvePorts(configFor([], cwd, cwd), new Set()), {});
    expect(env.APP_PORT).toBeUndefined();
    expect(Number(env.DAPR_HTTP_PORT)).toBeGreaterThan(0);
  });

  it('tells the sidecar the CLI pid, app command and run file, dropping inherited stale values', async () => {
    const cwd = tempDir();
    const config = await resolvePorts(configFor(['node', 'app.js', '--x'], cwd, cwd), new Set());
    const env = sidecarEnv(config, { MECHA_RUN_FILE: '/old/dapr.yaml', DAPR_HOST_IP: '10.1.1.1' }, { cliPid: 42 });
    expect(env.MECHA_CLI_PID).toBe('42');
    expect(env.MECHA_APP_COMMAND).toBe('node app.js --x');
    expect(env.MECHA_RUN_FILE).toBeUndefined();
    expect(env.DAPR_HOST_IP).toBe('10.1.1.1');
    const bare = sidecarEnv({ ...config, command: [] }, {}, { cliPid: 1, runFile: '/r/dapr.yaml' });
    expect(bare.MECHA_APP_COMMAND).toBeUndefined();
    expect(bare.MECHA_RUN_FILE).toBe('/r/dapr.yaml');
    expect(bare.DAPR_HOST_IP).toBe('127.0.0.1');
  });
});
