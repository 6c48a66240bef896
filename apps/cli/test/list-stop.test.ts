import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { formatAge } from '../src/instances/instance-rows.ts';
import { main } from '../src/main.ts';
import { captureIo } from './capture-io.ts';
import { useTempDirs } from './temp-dirs.ts';

const tempDir = useTempDirs();
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** A live process to stand for a sidecar or a CLI: it prints SIGTERM when it gets one and exits. */
async function liveProcess(): Promise<ChildProcess & { terminated: Promise<boolean> }> {
  const child = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => process.exit(7)); console.log('up'); setInterval(() => {}, 1e9)"], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  await once(child.stdout!, 'data');
  const terminated = once(child, 'exit').then(([code]) => code === 7);
  return Object.assign(child, { terminated });
}

/** The pid of a process that has exited, so the registry entry counts as stale. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

function register(home: string, entry: { appId: string; pid: number; httpPort: number; grpcPort?: number; labels?: Record<string, string> }): void {
  const folder = path.join(home, 'instances');
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, `${encodeURIComponent(entry.appId)}-${entry.pid}.json`), JSON.stringify({ host: '127.0.0.1', ...entry }));
}

describe('mecha list', () => {
  it('lists live instances from the registry as a table, JSON and YAML, skipping dead ones', async () => {
    const home = tempDir();
    const sidecar = await liveProcess();
    const startedAt = new Date(Date.now() - 125_000).toISOString();
    register(home, {
      appId: 'orders',
      pid: sidecar.pid!,
      httpPort: 3501,
      grpcPort: 50002,
      labels: { appPort: '3000', appCommand: 'node app.js', cliPid: '4242', startedAt, runFile: '/r/dapr.yaml' },
    });
    register(home, { appId: 'ghost', pid: await deadPid(), httpPort: 3600 });

    const table = captureIo({ MECHA_HOME: home }, '/');
    expect(await main(['list'], table)).toBe(0);
    const lines = table.out().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^APP ID\s+HTTP PORT\s+GRPC PORT\s+APP PORT\s+COMMAND\s+AGE\s+CREATED\s+DAEMON PID\s+CLI PID$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(new RegExp(`^orders\\s+3501\\s+50002\\s+3000\\s+node app.js\\s+2m\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\.\\d\\d\\s+${sidecar.pid}\\s+4242$`));

    const json = captureIo({ MECHA_HOME: home }, '/');
    expect(await main(['list', '-o', 'json'], json)).toBe(0);
    expect(JSON.parse(json.out())).toEqual([
      expect.objectContaining({ appId: 'orders', httpPort: 3501, grpcPort: 50002, appPort: 3000, command: 'node app.js', daprdPid: sidecar.pid, cliPid: 4242, age: '2m', runTemplatePath: '/r/dapr.yaml' }),
    ]);

    const yaml = captureIo({ MECHA_HOME: home }, '/');
    expect(await main(['list', '--output=yaml'], yaml)).toBe(0);
    expect(yaml.out()).toMatch(/- appId: orders\n\s+httpPort: 3501/);
  });

  it('says so when nothing runs, and rejects an unknown output format', async () => {
    const home = tempDir();
    const empty = captureIo({ MECHA_HOME: home }, '/');
    expect(await main(['list'], empty)).toBe(0);
    expect(empty.out()).toBe('No Mecha instances found.\n');
    const json = captureIo({ MECHA_HOME: home }, '/');
    expect(await main(['list', '-o', 'json'], json)).toBe(0);
    expect(JSON.parse(json.out())).toEqual([]);
    const bad = captureIo({ MECHA_HOME: home }, '/');
    expect(await main(['list', '-o', 'xml'], bad)).toBe(1);
    expect(bad.err()).toMatch(/invalid output format "xml"/);
  });

  it('formats ages in the largest whole unit', () => {
    const now = new Date('2025-01-10T00:00:00Z');
    expect(formatAge(new Date('2025-01-09T23:59:58Z'), now)).toBe('2s');
    expect(formatAge(new Date('2025-01-09T22:00:00Z'), now)).toBe('2h');
    expect(formatAge(new Date('2025-01-07T00:00:00Z'), now)).toBe('3d');
    expect(formatAge(new Date('2025-01-11T00:00:00Z'), now)).toBe('0s');
  });
});

describe('mecha stop', () => {
  it('signals the CLI that started a single app', async () => {
    const home = tempDir();
    const sidecar = await liveProcess();
    const cli = await liveProcess();
    register(home, { appId: 'orders', pid: sidecar.pid!, httpPort: 3501, labels: { cliPid: String(cli.pid) } });
    const io = captureIo({ MECHA_HOME: home }, '/');
    expect(await main(['stop', '--app-id', 'orders'], io)).toBe(0);
    expect(await cli.terminated).toBe(true);
    expect(sidecar.exitCode).toBeNull();
    expect(io.out()).toContain(`through mecha run (pid ${cli.pid})`);
  });

  it('signals the sidecar itself when its CLI runs other apps too, or is gone', async () => {
    const home = tempDir();
    const cli = await liveProcess();
    const first = await liveProcess();
    const second = await liveProcess();
    const orphan = await liveProcess();
    register(home, { appId: 'a', pid: first.pid!, httpPort: 1, labels: { cliPid: String(cli.pid), runFile: '/r/dapr.yaml' } });
    register(home, { appId: 'b', pid: second.pid!, httpPort: 2, labels: { cliPid: String(cli.pid), runFile: '/r/dapr.yaml' } });
    register(home, { appId: 'c', pid: orphan.pid!, httpPort: 3, labels: { cliPid: String(await deadPid()) } });
    expect(await main(['stop', '-a', 'a,c'], captureIo({ MECHA_HOME: home }, '/'))).toBe(0);
    expect(await first.terminated).toBe(true);
    expect(await orphan.terminated).toBe(true);
    expect(cli.exitCode).toBeNull();
    expect(second.exitCode).toBeNull();
  });

  it('stops a run file by signalling its CLI, matching the absolute run file path', async () => {
    const home = tempDir();
    const project = tempDir();
    const runFile = path.join(project, 'dapr.yaml');
    writeFileSync(runFile, 'version: 1\n');
    const cli = await liveProcess();
    const sidecar = await liveProcess();
    register(home, { appId: 'a', pid: sidecar.pid!, httpPort: 1, labels: { cliPid: String(cli.pid), runFile } });
    register(home, { appId: 'b', pid: sidecar.pid!, httpPort: 2, labels: { cliPid: String(cli.pid), runFile } });
    // INIT_CWD is where the user typed the command; `-f .` means its dapr.yaml.
    const io = captureIo({ MECHA_HOME: home }, project);
    expect(await main(['stop', '-f', '.'], io)).toBe(0);
    expect(await cli.terminated).toBe(true);
    expect(sidecar.exitCode).toBeNull();
  });

  it('fails clearly when nothing matches or nothing is named', async () => {
    const home = tempDir();
    const none = captureIo({ MECHA_HOME: home }, '/');
    expect(await main(['stop', '--app-id', 'nobody'], none)).toBe(1);
    expect(none.err()).toContain('No running app with id "nobody"');
    const project = tempDir();
    writeFileSync(path.join(project, 'dapr.yaml'), 'version: 1\n');
    const noRun = captureIo({ MECHA_HOME: home }, project);
    expect(await main(['stop', '-f', 'dapr.yaml'], noRun)).toBe(1);
    expect(noRun.err()).toContain(`No running apps were started from ${path.join(project, 'dapr.yaml')}`);
    const nothing = captureIo({ MECHA_HOME: home }, '/');
    expect(await main(['stop'], nothing)).toBe(1);
    expect(nothing.err()).toMatch(/--app-id <id> or -f <run file>/);
  });
});
