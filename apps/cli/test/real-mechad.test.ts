import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { killStartedClis, startCli } from './cli-process.ts';
import { useTempDirs } from './temp-dirs.ts';

const MECHAD = fileURLToPath(new URL('../../runtime/bin/mechad.js', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** `mecha run` and `mecha run -f` with the real mechad, not the stub. */
describe('mecha with the real mechad', () => {
  const tempDir = useTempDirs();
  afterEach(killStartedClis);

  function home(): string {
    return tempDir('mecha-home-');
  }

  it('mecha init + mecha run: the app reaches its sidecar, output is prefixed, the exit code comes through', async () => {
    const mechaHome = home();
    const env = { MECHA_HOME: mechaHome, MECHA_MECHAD_PATH: MECHAD, INIT_CWD: tempDir() };
    const init = startCli(['init'], env);
    expect(await init.exitCode).toBe(0);
    const cli = startCli(['run', '--app-id', 'stateful', '--', 'node', fixture('state-app.mjs')], env);
    expect(await cli.exitCode).toBe(3);
    expect(cli.stdout()).toMatch(/== APP == VALUE \{"app":"stateful"\}/);
  });

  it('mecha run -f: two apps call each other through their sidecars; SIGTERM stops everything', async () => {
    const mechaHome = home();
    const dir = tempDir('mecha-runfile-');
    const runFile = path.join(dir, 'dapr.yaml');
    writeFileSync(
      runFile,
      `version: 1
common:
  daprdLogDestination: console
apps:
  - appID: greeter
    appDirPath: .
    appPort: 0
    command: ["node", "${fixture('greeter-app.mjs')}"]
  - appID: caller
    appDirPath: .
    command: ["node", "${fixture('caller-app.mjs')}"]
`.replace('appPort: 0', `appPort: ${30000 + Math.floor(Math.random() * 20000)}`),
    );
    const cli = startCli(['run', '-f', 'dapr.yaml'], { MECHA_HOME: mechaHome, MECHA_MECHAD_PATH: MECHAD, INIT_CWD: dir });
    await cli.waitFor(/== APP - caller == RESULT hello from greeter/, 30_000);
    await cli.waitFor(/== APP - greeter == greeter listening/);
    cli.child.kill('SIGTERM');
    expect(await cli.exitCode).toBe(0);
    const list = startCli(['list', '-o', 'json'], { MECHA_HOME: mechaHome });
    expect(await list.exitCode).toBe(0);
    expect(JSON.parse(list.stdout())).toEqual([]);
  });

  it('mecha run -f: a sidecar that cannot start says why, from its log file', async () => {
    const dir = tempDir('mecha-runfile-');
    mkdirSync(path.join(dir, 'res'));
    writeFileSync(path.join(dir, 'res', 'broken.yaml'), 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: s\nspec:\n  tpye: state.in-memory\n');
    writeFileSync(
      path.join(dir, 'dapr.yaml'),
      `version: 1
apps:
  - appID: broken
    appDirPath: .
    resourcesPath: ./res
    command: ["node", "-e", "setTimeout(() => {}, 60000)"]
`,
    );
    const cli = startCli(['run', '-f', '.'], { MECHA_HOME: home(), MECHA_MECHAD_PATH: MECHAD, INIT_CWD: dir });
    await cli.waitFor(/unknown field "tpye"/, 20_000);
    expect(cli.output()).toMatch(/full log: .*broken_daprd_/);
  });
});
