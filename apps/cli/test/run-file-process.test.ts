import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { APP, killStartedClis, pidsIn, startCli, stillAlive } from './cli-process.ts';
import { appEnvReport, flagValue, stubReport } from './process-reports.ts';
import { useTempDirs } from './temp-dirs.ts';

const tempDir = useTempDirs();
afterEach(killStartedClis);

describe('mecha run -f', { timeout: 30_000 }, () => {
  function project(): { root: string; runFile: string } {
    const root = tempDir();
    mkdirSync(path.join(root, 'svc', 'alpha'), { recursive: true });
    mkdirSync(path.join(root, 'svc', 'beta'), { recursive: true });
    const runFile = path.join(root, 'dapr.yaml');
    return { root, runFile };
  }

  it('starts every app with its sidecar, prefixes per app, honours log destinations, and keeps the others when one exits', async () => {
    const { root, runFile } = project();
    writeFileSync(
      runFile,
      `version: 1
common:
  env:
    COMMON_VAR: shared
apps:
  - appID: alpha
    appDirPath: ./svc/alpha
    appPort: 4100
    command: ["node", ${JSON.stringify(APP)}, "exit", "2"]
    env:
      USER_VAR: alpha-only
  - appID: beta
    appDirPath: svc/beta
    daprdLogDestination: console
    appLogDestination: console
    command: ["node", ${JSON.stringify(APP)}, "wait"]
`,
    );
    // Relative to INIT_CWD, the user's directory, not the process's cwd.
    const cli = startCli(['run', '-f', '.'], { INIT_CWD: root, MECHA_HOME: tempDir() });
    await cli.waitFor(/app "alpha" exited with exit code 2/);
    const betaPid = Number((await cli.waitFor(/APP beta PID (\d+)/))[1]);
    const betaStub = Number((await cli.waitFor(/STUB-MECHAD beta PID (\d+)/))[1]);
    expect(await stillAlive([betaPid, betaStub], 200)).toEqual([betaPid, betaStub]);

    const output = cli.output();
    expect(appEnvReport(output, 'alpha')).toMatchObject({
      APP_ID: 'alpha',
      APP_PORT: '4100',
      COMMON_VAR: 'shared',
      USER_VAR: 'alpha-only',
      cwd: path.join(root, 'svc', 'alpha'),
    });
    expect(appEnvReport(output, 'beta')).toMatchObject({ APP_ID: 'beta', COMMON_VAR: 'shared', cwd: path.join(root, 'svc', 'beta') });
    expect(output).toMatch(/^== APP - alpha == APP alpha ENV /m);
    expect(output).toMatch(/^== APP - beta == APP beta stderr line$/m);
    // alpha's sidecar logs only to its file (daprd default), beta's to the console.
    expect(output).not.toContain('STUB-MECHAD alpha');
    expect(stubReport(output, 'beta').env).toMatchObject({ MECHA_RUN_FILE: runFile, MECHA_CLI_PID: String(cli.child.pid), cwd: path.join(root, 'svc', 'beta') });

    cli.child.kill('SIGTERM');
    expect(await cli.exitCode).toBe(0);

    const logDir = path.join(root, 'svc', 'alpha', '.dapr', 'logs');
    const logs = readdirSync(logDir).sort();
    expect(logs).toEqual([expect.stringMatching(/^alpha_app_\d{14}\.log$/), expect.stringMatching(/^alpha_daprd_\d{14}\.log$/)]);
    const appLog = readFileSync(path.join(logDir, logs[0]!), 'utf8');
    const daprdLog = readFileSync(path.join(logDir, logs[1]!), 'utf8');
    expect(appLog).toMatch(/^== APP - alpha == APP alpha ENV /m);
    expect(appLog).toMatch(/^== APP - alpha == partial line without newline$/m);
    const alphaStub = stubReport(daprdLog, 'alpha');
    expect(flagValue(alphaStub.args, '--app-port')).toBe('4100');
    expect(alphaStub.env).toMatchObject({ MECHA_APP_LOG_PATH: path.join(logDir, logs[0]!), MECHA_DAPRD_LOG_PATH: path.join(logDir, logs[1]!) });
    expect(daprdLog).toMatch(/^STUB-MECHAD alpha SIGTERM$/m);
    expect(readdirSync(path.join(root, 'svc', 'beta'))).toEqual([]);
    expect(await stillAlive([betaPid, betaStub, alphaStub.pid])).toEqual([]);
  });

  it('ends by itself once every process has exited, with the first failing code', async () => {
    const { root, runFile } = project();
    writeFileSync(
      runFile,
      `version: 1
common:
  appLogDestination: console
  daprdLogDestination: console
  env:
    STUB_MECHAD_EXIT_AFTER_MS: "300"
apps:
  - appDirPath: svc/alpha
    appPort: 4200
    command: ["node", ${JSON.stringify(APP)}, "exit", "0"]
  - appDirPath: svc/beta
    appPort: 4201
    command: ["node", ${JSON.stringify(APP)}, "exit", "5"]
`,
    );
    const cli = startCli(['run', '--run-file', 'dapr.yaml'], { INIT_CWD: root, MECHA_HOME: tempDir() });
    expect(await cli.exitCode).toBe(5);
    expect(cli.output()).toMatch(/Exited app "alpha" successfully/);
    expect(cli.output()).toMatch(/app "beta" exited with exit code 5/);
  });

  it('refuses a broken run file before starting anything', async () => {
    const { root, runFile } = project();
    writeFileSync(runFile, 'version: 1\napps:\n  - appDirPath: svc/missing\n');
    const cli = startCli(['run', '-f', root], { INIT_CWD: tempDir(), MECHA_HOME: tempDir() });
    expect(await cli.exitCode).toBe(1);
    expect(cli.output()).toContain(`apps[0]: appDirPath not found: ${path.join(root, 'svc', 'missing')}`);
    expect(cli.output()).not.toContain('STUB-MECHAD');
  });
});

describe('mecha list and stop against a running mecha run', { timeout: 30_000 }, () => {
  it('lists the app from the registry and stops it through its CLI', async () => {
    const home = tempDir();
    const env = { INIT_CWD: tempDir(), MECHA_HOME: home, STUB_MECHAD_REGISTER: '1' };
    const cli = startCli(['run', '-a', 'listed', '-p', '4300', '--', 'node', APP, 'wait'], env);
    await cli.waitFor(/APP listed PID (\d+)/);
    const stubPid = Number((await cli.waitFor(/STUB-MECHAD listed PID (\d+)/))[1]);

    const list = startCli(['list', '-o', 'json'], env);
    expect(await list.exitCode).toBe(0);
    expect(JSON.parse(list.stdout())).toEqual([
      expect.objectContaining({ appId: 'listed', appPort: 4300, daprdPid: stubPid, cliPid: cli.child.pid, command: `node ${APP} wait` }),
    ]);

    const stop = startCli(['stop', '--app-id', 'listed'], env);
    expect(await stop.exitCode).toBe(0);
    expect(await cli.exitCode).toBe(0);
    expect(cli.output()).toMatch(/^== APP == APP listed SIGTERM$/m);
    expect(await stillAlive([stubPid, ...pidsIn(cli.output(), /APP listed PID (\d+)/g)])).toEqual([]);
  });
});
