import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mechaHome } from '../src/environment/mecha-home.ts';
import { loadRunFile, locateRunFile, parseRunFile, type RunFileContext } from '../src/run-file/run-file.ts';
import { useTempDirs } from './temp-dirs.ts';

const tempDir = useTempDirs();

function contextFor(cwd: string, homeRoot = path.join(cwd, 'mecha-home')): RunFileContext & { warnings: string[] } {
  const warnings: string[] = [];
  return { cwd, env: { HOME: path.join(cwd, 'user-home') }, home: mechaHome({ MECHA_HOME: homeRoot }), warn: (message) => warnings.push(message), warnings };
}

function write(file: string, text: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

describe('locateRunFile', () => {
  it('resolves a relative path against the user directory and a folder to its dapr.yaml', () => {
    const cwd = tempDir();
    const file = write(path.join(cwd, 'project', 'dapr.yaml'), 'version: 1\n');
    write(path.join(cwd, 'project', 'other.yml'), 'version: 1\n');
    expect(locateRunFile('project', cwd, {})).toBe(file);
    expect(locateRunFile('./project/other.yml', cwd, {})).toBe(path.join(cwd, 'project', 'other.yml'));
    expect(locateRunFile(path.join(cwd, 'project'), '/', {})).toBe(file);
    expect(locateRunFile('-', cwd, {})).toBe('-');
  });

  it('refuses missing files, folders without dapr.yaml and non-YAML files', () => {
    const cwd = tempDir();
    write(path.join(cwd, 'notes.txt'), '');
    mkdirSync(path.join(cwd, 'empty'));
    expect(() => locateRunFile('nope.yaml', cwd, {})).toThrow(`run file not found: ${path.join(cwd, 'nope.yaml')}`);
    expect(() => locateRunFile('empty', cwd, {})).toThrow(/no dapr.yaml in folder/);
    expect(() => locateRunFile('notes.txt', cwd, {})).toThrow(/is not a YAML file/);
  });
});

describe('loadRunFile', () => {
  it('resolves appDirPath against the run file folder and app paths against appDirPath', async () => {
    const cwd = tempDir();
    const root = path.join(cwd, 'project');
    mkdirSync(path.join(root, 'svc', 'orders', 'components'), { recursive: true });
    mkdirSync(path.join(root, 'svc', 'checkout'), { recursive: true });
    mkdirSync(path.join(root, 'shared-resources'), { recursive: true });
    write(path.join(root, 'svc', 'orders', 'cfg.yaml'), '');
    write(path.join(root, 'common-config.yaml'), '');
    write(
      path.join(root, 'dapr.yaml'),
      `version: 1
common:
  resourcesPaths: ["./shared-resources"]
  configFilePath: common-config.yaml
  logLevel: debug
  appProtocol: grpc
  enableApiLogging: true
  env:
    COMMON_VAR: common
    USER_VAR: from-common
apps:
  - appID: orders
    appDirPath: ./svc/orders
    appPort: 3000
    daprHTTPPort: 3501
    resourcesPath: ./components
    configFilePath: cfg.yaml
    appProtocol: http
    command: ["node", "app.js", 42]
    env:
      USER_VAR: from-app
    appLogDestination: console
    daprdLogDestination: fileAndConsole
  - appDirPath: svc/checkout/
    command: ["node", "checkout.js"]
`,
    );
    const context = contextFor(cwd);
    const loaded = await loadRunFile('project', context);
    expect(loaded.path).toBe(path.join(root, 'dapr.yaml'));
    const [orders, checkout] = loaded.apps;
    expect(orders).toMatchObject({
      appId: 'orders',
      appDir: path.join(root, 'svc', 'orders'),
      command: ['node', 'app.js', '42'],
      appPort: 3000,
      httpPort: 3501,
      grpcPort: -1,
      appProtocol: 'http',
      logLevel: 'debug',
      enableApiLogging: true,
      resourcesPaths: [path.join(root, 'svc', 'orders', 'components')],
      configFile: path.join(root, 'svc', 'orders', 'cfg.yaml'),
      env: { COMMON_VAR: 'common', USER_VAR: 'from-app' },
      appLogDestination: 'console',
      daprdLogDestination: 'fileAndConsole',
      logDir: path.join(root, 'svc', 'orders', '.dapr', 'logs'),
      runFile: path.join(root, 'dapr.yaml'),
    });
    expect(checkout).toMatchObject({
      appId: 'checkout',
      appDir: path.join(root, 'svc', 'checkout'),
      appPort: 0,
      httpPort: -1,
      appProtocol: 'grpc',
      resourcesPaths: [path.join(root, 'shared-resources')],
      configFile: path.join(root, 'common-config.yaml'),
      env: { COMMON_VAR: 'common', USER_VAR: 'from-common' },
      appLogDestination: 'fileAndConsole',
      daprdLogDestination: 'file',
    });
    expect(context.warnings).toEqual([]);
  });

  it('prefers <appDir>/.dapr/resources and .dapr/config.yaml over common, and MECHA_HOME last', async () => {
    const cwd = tempDir();
    const home = path.join(cwd, 'home');
    mkdirSync(path.join(home, 'components'), { recursive: true });
    write(path.join(home, 'config.yaml'), '');
    mkdirSync(path.join(cwd, 'a', '.dapr', 'resources'), { recursive: true });
    write(path.join(cwd, 'a', '.dapr', 'config.yaml'), '');
    mkdirSync(path.join(cwd, 'b'));
    mkdirSync(path.join(cwd, 'common-res'));
    const text = (withCommon: boolean): string =>
      `version: 1\n${withCommon ? 'common:\n  resourcesPaths: [common-res]\n' : ''}apps:\n  - appDirPath: a\n  - appDirPath: b\n`;
    const withCommon = parseRunFile(text(true), path.join(cwd, 'dapr.yaml'), cwd, contextFor(cwd, home));
    expect(withCommon.apps[0]!.resourcesPaths).toEqual([path.join(cwd, 'a', '.dapr', 'resources')]);
    expect(withCommon.apps[0]!.configFile).toBe(path.join(cwd, 'a', '.dapr', 'config.yaml'));
    expect(withCommon.apps[1]!.resourcesPaths).toEqual([path.join(cwd, 'common-res')]);
    expect(withCommon.apps[1]!.configFile).toBe(path.join(home, 'config.yaml'));
    const withoutCommon = parseRunFile(text(false), path.join(cwd, 'dapr.yaml'), cwd, contextFor(cwd, home));
    expect(withoutCommon.apps[1]!.resourcesPaths).toEqual([path.join(home, 'components')]);
  });

  it('expands ~ in paths', () => {
    const cwd = tempDir();
    mkdirSync(path.join(cwd, 'user-home', 'svc'), { recursive: true });
    const loaded = parseRunFile('version: 1\napps:\n  - appDirPath: ~/svc\n', path.join(cwd, 'dapr.yaml'), cwd, contextFor(cwd));
    expect(loaded.apps[0]!.appDir).toBe(path.join(cwd, 'user-home', 'svc'));
  });

  it('reads a run file from stdin with paths relative to the user directory', async () => {
    const cwd = tempDir();
    mkdirSync(path.join(cwd, 'svc'));
    const loaded = await loadRunFile('-', { ...contextFor(cwd), readStdin: async () => 'version: 1\napps:\n  - appDirPath: svc\n' });
    expect(loaded.path).toBe('-');
    expect(loaded.apps[0]!.appDir).toBe(path.join(cwd, 'svc'));
    expect(loaded.apps[0]!.runFile).toBeUndefined();
  });

  it('names the field in errors: missing version, no apps, missing appDirPath, bad types, missing paths', () => {
    const cwd = tempDir();
    mkdirSync(path.join(cwd, 'svc'));
    const file = path.join(cwd, 'dapr.yaml');
    const parse = (text: string) => () => parseRunFile(text, file, cwd, contextFor(cwd));
    expect(parse('apps:\n  - appDirPath: svc\n')).toThrow(/"version" is required/);
    expect(parse('version: 1\napps: []\n')).toThrow(/no apps to run/);
    expect(parse('version: 1\napps:\n  - appID: x\n')).toThrow(/apps\[0\]: appDirPath is required/);
    expect(parse('version: 1\napps:\n  - appDirPath: nowhere\n')).toThrow(`apps[0]: appDirPath not found: ${path.join(cwd, 'nowhere')}`);
    expect(parse('version: 1\napps:\n  - appDirPath: svc\n    appPort: abc\n')).toThrow(/apps\[0\]\.appPort: expected an integer, got string "abc"/);
    expect(parse('version: 1\napps:\n  - appDirPath: svc\n    command: node app.js\n')).toThrow(/apps\[0\]\.command: expected a list of strings/);
    expect(parse('version: 1\napps:\n  - appDirPath: svc\n    resourcesPaths: [nope]\n')).toThrow(/resources path not found/);
    expect(parse('version: 1\ncommon:\n  configFilePath: nope.yaml\napps:\n  - appDirPath: svc\n')).toThrow(/common: config file not found/);
    expect(parse('version: 1\napps:\n  - appDirPath: svc\n    appLogDestination: syslog\n')).toThrow(/invalid log destination "syslog"/);
    expect(parse('version: 1\napps:\n  - appDirPath: svc\n    appProtocol: ftp\n')).toThrow(/invalid app protocol/);
    expect(parse('version: 1\napps:\n  - appDirPath: svc\n  - appDirPath: svc\n')).toThrow(/app id "svc" is used by another app/);
    expect(parse('version: 1\napps: [\n')).toThrow(/invalid YAML/);
    expect(parse('- 1\n')).toThrow(/must be a mapping/);
  });

  it('warns about unknown fields, app-only fields in common and Kubernetes-only fields', () => {
    const cwd = tempDir();
    mkdirSync(path.join(cwd, 'svc'));
    const context = contextFor(cwd);
    parseRunFile(
      'version: 1\nextra: 1\ncommon:\n  appID: x\napps:\n  - appDirPath: svc\n    apPort: 3000\n    containerImage: img\n',
      path.join(cwd, 'dapr.yaml'),
      cwd,
      context,
    );
    expect(context.warnings).toHaveLength(4);
    expect(context.warnings.join('\n')).toMatch(/unknown field "extra"/);
    expect(context.warnings.join('\n')).toMatch(/"appID" can only be set per app/);
    expect(context.warnings.join('\n')).toMatch(/unknown field "apPort"/);
    expect(context.warnings.join('\n')).toMatch(/"containerImage" has no effect/);
  });

  it('gives a Unix-domain-socket app no TCP API ports and treats zero ports as "pick one"', () => {
    const cwd = tempDir();
    mkdirSync(path.join(cwd, 'svc'));
    const [app] = parseRunFile('version: 1\napps:\n  - appDirPath: svc\n    unixDomainSocket: /tmp/socks\n    metricsPort: 0\n', path.join(cwd, 'dapr.yaml'), cwd, contextFor(cwd)).apps;
    expect(app).toMatchObject({ unixDomainSocket: '/tmp/socks', httpPort: 0, grpcPort: 0, metricsPort: -1 });
  });
});
