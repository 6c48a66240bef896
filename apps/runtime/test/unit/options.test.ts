import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDaprdFlags } from '../../src/config/daprd-flags.ts';
import { resolveOptions } from '../../src/config/options.ts';
import { parseQuantity } from '../../src/config/quantity.ts';

const options = (argv: string[], env: NodeJS.ProcessEnv = {}) => resolveOptions(parseDaprdFlags(argv).flags, { MECHA_HOME: '/nonexistent-home', ...env });

describe('daprd flags', () => {
  it('accepts --flag value, --flag=value and the single-dash form', () => {
    const parsed = parseDaprdFlags(['--app-id', 'a', '--app-port=3000', '-dapr-http-port', '3501', '--enable-api-logging', '--log-as-json=false']);
    expect(parsed.flags).toEqual({ 'app-id': 'a', 'app-port': '3000', 'dapr-http-port': 3501, 'enable-api-logging': true, 'log-as-json': false });
  });

  it('collects repeatable and comma-separated list flags', () => {
    expect(parseDaprdFlags(['--resources-path', 'a', '--resources-path=b,c']).flags['resources-path']).toEqual(['a', 'b', 'c']);
  });

  it('reports flags whose feature is not built, and refuses unknown ones', () => {
    expect(parseDaprdFlags(['--placement-host-address', 'x:1', '--app-id', 'a']).unbuilt).toEqual(['placement-host-address']);
    expect(() => parseDaprdFlags(['--app-idd', 'a'])).toThrow(/unknown flag: --app-idd/);
    expect(() => parseDaprdFlags(['--dapr-http-port', 'many'])).toThrow(/expected an integer/);
    expect(() => parseDaprdFlags(['--app-id'])).toThrow(/needs an argument/);
    expect(() => parseDaprdFlags(['positional'])).toThrow(/unexpected argument/);
  });
});

describe('resolveOptions', () => {
  it('has daprd defaults', () => {
    const o = options(['--app-id', 'a']);
    expect(o).toMatchObject({ httpPort: 3500, grpcPort: 50001, appProtocol: 'http', logLevel: 'info', maxBodyBytes: 4 * 1024 * 1024, gracefulShutdownMs: 5000, resourcesPaths: [] });
  });

  it('sizes the body limit from --max-body-size, else the deprecated MB flag', () => {
    expect(options(['--max-body-size', '16Mi']).maxBodyBytes).toBe(16 * 1024 * 1024);
    expect(options(['--dapr-http-max-request-size', '2']).maxBodyBytes).toBe(2 * 1024 * 1024);
    expect(options(['--dapr-http-max-request-size', '2', '--max-body-size=1Ki']).maxBodyBytes).toBe(1024);
    expect(() => options(['--max-body-size', 'lots'])).toThrow(/max-body-size/);
  });

  it('resolves relative paths against INIT_CWD (pnpm) or the working directory', () => {
    expect(options(['--resources-path', './res', '--config', 'c.yaml'], { INIT_CWD: '/home/u/app' })).toMatchObject({
      resourcesPaths: ['/home/u/app/res'],
      configPath: '/home/u/app/c.yaml',
    });
    expect(options(['--resources-path', 'res'], { INIT_CWD: '' }).resourcesPaths).toEqual([path.resolve('res')]);
  });

  it('reads tokens and CLI labels from the environment', () => {
    const o = options(['--app-id', 'a'], { DAPR_API_TOKEN: 't', APP_API_TOKEN: 'u', MECHA_CLI_PID: '42', MECHA_APP_COMMAND: 'node app.js' });
    expect(o).toMatchObject({ apiToken: 't', appApiToken: 'u', instanceLabels: { cliPid: '42', appCommand: 'node app.js' } });
  });

  it('refuses invalid protocol, log level and ports', () => {
    expect(() => options(['--app-protocol', 'ftp'])).toThrow(/app-protocol/);
    expect(() => options(['--log-level', 'loud'])).toThrow(/log-level/);
    expect(() => options(['--app-port', '70000'])).toThrow(/invalid port/);
  });
});

describe('parseQuantity', () => {
  it.each([
    ['4Mi', 4 * 1024 * 1024],
    ['16M', 16_000_000],
    ['1Gi', 1024 ** 3],
    ['1048576', 1048576],
    ['4Ki', 4096],
  ])('%s', (text, bytes) => expect(parseQuantity(text)).toBe(bytes));
});
