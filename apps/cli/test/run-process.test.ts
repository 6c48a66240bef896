import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { APP, killStartedClis, pidsIn, startCli, stillAlive } from './cli-process.ts';
import { appEnvReport, flagValue, stubReport } from './process-reports.ts';
import { useTempDirs } from './temp-dirs.ts';

const tempDir = useTempDirs();
afterEach(killStartedClis);

describe('mecha run', { timeout: 30_000 }, () => {
  it('starts the sidecar and the app, hands the app its env, prefixes its output and exits with its code', async () => {
    const userDir = tempDir();
    const home = tempDir();
    mkdirSync(path.join(userDir, 'res'));
    const cli = startCli(['run', '-a', 'orders', '-p', '4321', '-H', '0', '-d', 'res', '--log-level', 'debug', '--', 'node', APP, 'exit', '3'], {
      INIT_CWD: userDir,
      MECHA_HOME: home,
      USER_VAR: 'inherited',
    });
    expect(await cli.exitCode).toBe(3);
    const output = cli.output();
    const stub = stubReport(output, 'orders');
    expect(flagValue(stub.args, '--app-id')).toBe('orders');
    expect(flagValue(stub.args, '--app-port')).toBe('4321');
    expect(flagValue(stub.args, '--resources-path')).toBe(path.join(userDir, 'res'));
    expect(flagValue(stub.args, '--log-level')).toBe('debug');
    const httpPort = Number(flagValue(stub.args, '--dapr-http-port'));
    const grpcPort = Number(flagValue(stub.args, '--dapr-grpc-port'));
    expect(httpPort).toBeGreaterThan(0);
    expect(grpcPort).toBeGreaterThan(0);
    expect(stub.env).toMatchObject({ MECHA_CLI_PID: String(cli.child.pid), MECHA_APP_COMMAND: `node ${APP} exit 3`, cwd: userDir });
    expect(appEnvReport(output, 'orders')).toEqual({
      APP_ID: 'orders',
      APP_PORT: '4321',
      APP_PROTOCOL: 'http',
      APP_CHANNEL_ADDRESS: '127.0.0.1',
      DAPR_HTTP_PORT: String(httpPort),
      DAPR_GRPC_PORT: String(grpcPort),
      DAPR_METRICS_PORT: flagValue(stub.args, '--metrics-port'),
      USER_VAR: 'inherited',
      cwd: userDir,
    });
    // App lines (stdout and stderr, and an unfinished last line) carry the single-app prefix; sidecar lines none.
    expect(output).toMatch(/^== APP == APP orders ENV /m);
    expect(output).toMatch(/^== APP == APP orders stderr line$/m);
    expect(output).toMatch(/^== APP == partial line without newline$/m);
    expect(output).toMatch(/^STUB-MECHAD orders stderr line$/m);
    expect(output).toMatch(/^STUB-MECHAD orders SIGTERM$/m);
    expect(await stillAlive([stub.pid, ...pidsIn(output, /APP orders PID (\d+)/g)])).toEqual([]);
  });

  it('stops the app and exits with the sidecar code when the sidecar exits first', async () => {
    const cli = startCli(['run', '-a', 'early', '--', 'node', APP, 'wait'], {
      INIT_CWD: tempDir(),
      MECHA_HOME: tempDir(),
      STUB_MECHAD_EXIT_WHEN_APP_READY: '1',
      STUB_MECHAD_EXIT_CODE: '4',
    });
    expect(await cli.exitCode).toBe(4);
    const output = cli.output();
    expect(output).toMatch(/^== APP == APP early SIGTERM$/m);
    expect(await stillAlive([stubReport(output, 'early').pid, ...pidsIn(output, /APP early PID (\d+)/g)])).toEqual([]);
  });

  it('on SIGTERM stops the sidecar, the app and what the app started, and exits 0', async () => {
    const cli = startCli(['run', '-a', 'tree', '-p', '5555', 'node', APP, 'grandchild'], { INIT_CWD: tempDir(), MECHA_HOME: tempDir() });
    const grandchild = Number((await cli.waitFor(/APP tree GRANDCHILD (\d+)/))[1]);
    const appPid = Number((await cli.waitFor(/APP tree PID (\d+)/))[1]);
    const stubPid = Number((await cli.waitFor(/STUB-MECHAD tree PID (\d+)/))[1]);
    cli.child.kill('SIGTERM');
    expect(await cli.exitCode).toBe(0);
    expect(cli.output()).toMatch(/SIGTERM received: stopping every app and sidecar/);
    expect(cli.output()).toMatch(/^== APP == APP tree SIGTERM$/m);
    expect(await stillAlive([grandchild, appPid, stubPid])).toEqual([]);
  });

  it('kills an app that ignores SIGTERM once the grace period is over', async () => {
    const cli = startCli(['run', '-a', 'stubborn', 'node', APP, 'ignore-term'], {
      INIT_CWD: tempDir(),
      MECHA_HOME: tempDir(),
      MECHA_STOP_TIMEOUT_MS: '300',
    });
    const appPid = Number((await cli.waitFor(/APP stubborn PID (\d+)/))[1]);
    const stubPid = Number((await cli.waitFor(/STUB-MECHAD stubborn PID (\d+)/))[1]);
    cli.child.kill('SIGINT');
    expect(await cli.exitCode).toBe(0);
    expect(cli.output()).toMatch(/APP stubborn ignoring SIGTERM/);
    expect(cli.output()).toMatch(/Stopped app "stubborn" \(killed by SIGKILL\)/);
    expect(await stillAlive([appPid, stubPid])).toEqual([]);
  });

  it('runs the sidecar alone without a command until stopped', async () => {
    const cli = startCli(['run', '--app-id', 'solo'], { INIT_CWD: tempDir(), MECHA_HOME: tempDir() });
    await cli.waitFor(/up and running! mechad's logs/);
    const stubPid = Number((await cli.waitFor(/STUB-MECHAD solo PID (\d+)/))[1]);
    expect(cli.output()).toMatch(/No application command found/);
    expect(stubReport(cli.output(), 'solo').env.MECHA_APP_COMMAND).toBeUndefined();
    cli.child.kill('SIGINT');
    expect(await cli.exitCode).toBe(0);
    expect(await stillAlive([stubPid])).toEqual([]);
  });

  it('fails with 1 and stops the sidecar when the app command cannot start', async () => {
    const cli = startCli(['run', '-a', 'broken', '--', 'no-such-program-mecha-test'], { INIT_CWD: tempDir(), MECHA_HOME: tempDir() });
    expect(await cli.exitCode).toBe(1);
    expect(cli.output()).toMatch(/Could not start app "broken" \(no-such-program-mecha-test\): .*ENOENT/);
    expect(await stillAlive([stubReport(cli.output(), 'broken').pid])).toEqual([]);
  });

  it('fails clearly when mechad cannot be found', async () => {
    const cli = startCli(['run', '-a', 'x', 'node', APP], { INIT_CWD: tempDir(), MECHA_HOME: tempDir(), MECHA_MECHAD_PATH: '/nowhere/mechad.js' });
    expect(await cli.exitCode).toBe(1);
    expect(cli.output()).toContain('Error: mechad not found at /nowhere/mechad.js');
  });
});

