import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '../src/main.ts';
import { captureIo } from './capture-io.ts';

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('mecha', () => {
  it('prints help with every command, and per-command help', async () => {
    for (const argv of [[], ['--help'], ['-h'], ['help']]) {
      const io = captureIo({}, '/');
      expect(await main(argv, io)).toBe(0);
      expect(io.out()).toMatch(/Commands:\n {2}run .*\n {2}init .*\n {2}list .*\n {2}stop /);
    }
    for (const command of ['run', 'init', 'list', 'stop']) {
      const io = captureIo({}, '/');
      expect(await main([command, '--help'], io)).toBe(0);
      expect(io.out()).toContain(`mecha ${command}`);
      expect(io.out()).toContain('Flags:');
    }
    const viaHelp = captureIo({}, '/');
    expect(await main(['help', 'run'], viaHelp)).toBe(0);
    expect(viaHelp.out()).toContain('--dapr-http-port');
  });

  it('prints its version', async () => {
    const io = captureIo({}, '/');
    expect(await main(['--version'], io)).toBe(0);
    expect(io.out()).toBe(`CLI version: ${version}\n`);
  });

  it('fails with exit code 1 and a message on an unknown command or flag', async () => {
    const command = captureIo({}, '/');
    expect(await main(['deploy'], command)).toBe(1);
    expect(command.err()).toContain('unknown command "deploy"');
    const flag = captureIo({}, '/');
    expect(await main(['--bogus'], flag)).toBe(1);
    expect(flag.err()).toContain('unknown flag: --bogus');
    const runFlag = captureIo({}, '/');
    expect(await main(['run', '--app-idd', 'x'], runFlag)).toBe(1);
    expect(runFlag.err()).toContain('unknown flag: --app-idd');
  });

  it('refuses Kubernetes mode for run', async () => {
    const io = captureIo({}, '/');
    expect(await main(['run', '-k', '-f', '.'], io)).toBe(1);
    expect(io.err()).toMatch(/does not support Kubernetes/);
  });
});
