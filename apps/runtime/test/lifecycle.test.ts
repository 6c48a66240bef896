import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startMechad, waitFor, type MechadProcess } from './support/mechad-process.ts';

describe('mechad lifecycle', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    while (cleanup.length > 0) await cleanup.pop()!();
  });

  function listen(server: Server, port: number): Promise<void> {
    cleanup.push(() => new Promise((resolve) => server.close(resolve)));
    return new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  }

  it('healthz stays 500 until the app port accepts connections, outbound is 204 at once', async () => {
    const appPort = await freePort();
    const sidecar = await startMechad({ appId: 'waits', appPort });
    cleanup.push(() => sidecar.stop());
    expect((await fetch(`${sidecar.url}/v1.0/healthz/outbound`)).status).toBe(204);
    const early = await fetch(`${sidecar.url}/v1.0/healthz`);
    expect(early.status).toBe(500);
    expect(((await early.json()) as { errorCode: string }).errorCode).toBe('ERR_HEALTH_NOT_READY');
    await listen(createServer((_req, res) => res.writeHead(404).end()), appPort);
    await waitFor(async () => ((await fetch(`${sidecar.url}/v1.0/healthz`)).status === 204 ? true : undefined), 'healthz 204');
  });

  it('SIGTERM drains an in-flight invocation before exiting 0', async () => {
    const appPort = await freePort();
    let sawRequest!: () => void;
    const requestArrived = new Promise<void>((resolve) => (sawRequest = resolve));
    await listen(
      createServer((req, res) => {
        if (req.url === '/dapr/subscribe') return void res.writeHead(404).end();
        sawRequest();
        setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('finished'), 800);
      }),
      appPort,
    );
    const sidecar: MechadProcess = await startMechad({ appId: 'drains', appPort, waitFor: 'ready' });
    cleanup.push(() => sidecar.stop('SIGKILL'));
    const call = fetch(`${sidecar.url}/v1.0/invoke/drains/method/slow`);
    await requestArrived;
    sidecar.process.kill('SIGTERM');
    const response = await call;
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('finished');
    expect(await sidecar.exited).toBe(0);
  });

  it('POST /v1.0/shutdown answers 204 and stops the process', async () => {
    const sidecar = await startMechad({ appId: 'shutdown' });
    cleanup.push(() => sidecar.stop('SIGKILL'));
    const response = await fetch(`${sidecar.url}/v1.0/shutdown`, { method: 'POST' });
    expect(response.status).toBe(204);
    expect(await sidecar.exited).toBe(0);
  });

  it('state saved before a restart is there after it (SQLite file)', async () => {
    const sidecar = await startMechad({ appId: 'durable' });
    const resources = sidecar.resourcesDir;
    const save = await fetch(`${sidecar.url}/v1.0/state/statestore`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ key: 'kept', value: { v: 1 } }]),
    });
    expect(save.status).toBe(204);
    expect(await sidecar.stop('SIGKILL')).toBe(null);
    const { readdirSync, readFileSync } = await import('node:fs');
    const files = Object.fromEntries(readdirSync(resources).map((f) => [f, readFileSync(`${resources}/${f}`, 'utf8')]));
    const again = await startMechad({ appId: 'durable', resources: files });
    cleanup.push(() => again.stop());
    const response = await fetch(`${again.url}/v1.0/state/statestore/kept`);
    expect(await response.json()).toEqual({ v: 1 });
  });

  it('accepts daprd flags it has not built yet, with a warning naming them', async () => {
    const sidecar = await startMechad({
      appId: 'flags',
      args: ['--placement-host-address', 'localhost:50005', '--enable-metrics=false', '--dapr-public-port=3501', '--mode', 'standalone'],
    });
    cleanup.push(() => sidecar.stop());
    await waitFor(() => (sidecar.output().includes('placement-host-address') ? true : undefined), 'the warning');
    expect(sidecar.output()).toContain('dapr-public-port');
  });

  it('--enable-api-logging writes one line per API call, as JSON to --log-file with --log-as-json', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const logFile = `${mkdtempSync(`${tmpdir()}/mecha-log-`)}/mechad.log`;
    const sidecar = await startMechad({ appId: 'logged', args: ['--enable-api-logging', '--log-as-json', '--log-file', logFile] });
    cleanup.push(() => sidecar.stop());
    expect((await fetch(`${sidecar.url}/v1.0/state/statestore/nothing?x=1`)).status).toBe(204);
    const line = await waitFor(
      () => readFileSync(logFile, 'utf8').split('\n').find((l) => l.includes('HTTP API called') && l.includes('/v1.0/state/statestore/nothing')),
      'the API log line',
    );
    expect(JSON.parse(line)).toMatchObject({ method: 'GET', path: '/v1.0/state/statestore/nothing', code: 204, app_id: 'logged' });
  });

  it('--disable-init-endpoints subscribe: the app is never asked for subscriptions', async () => {
    const appPort = await freePort();
    const asked: string[] = [];
    await listen(
      createServer((req, res) => {
        asked.push(req.url ?? '');
        res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
      }),
      appPort,
    );
    const sidecar = await startMechad({ appId: 'no-init', appPort, args: ['--disable-init-endpoints', 'subscribe'], waitFor: 'ready' });
    cleanup.push(() => sidecar.stop());
    expect(asked).not.toContain('/dapr/subscribe');
  });

  it('refuses an unknown flag with exit code 2', async () => {
    const sidecar = await startMechad({ appId: 'x', args: ['--no-such-flag'], waitFor: 'exit' });
    expect(await sidecar.exited).toBe(2);
    expect(sidecar.output()).toContain('no-such-flag');
  });
});

describe('under the mecha CLI', () => {
  it('stops itself when the CLI process that started it dies, and shows the CLI facts in metadata', async () => {
    const { spawn } = await import('node:child_process');
    const cli = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    const sidecar = await startMechad({ appId: 'orphan', env: { MECHA_CLI_PID: String(cli.pid), MECHA_APP_COMMAND: 'node app.js' } });
    try {
      const metadata = (await (await fetch(`${sidecar.url}/v1.0/metadata`)).json()) as { extended: Record<string, string> };
      expect(metadata.extended).toMatchObject({ cliPID: String(cli.pid), appCommand: 'node app.js' });
      cli.kill('SIGKILL');
      expect(await sidecar.exited).toBe(0);
      expect(sidecar.output()).toContain('is gone');
    } finally {
      cli.kill('SIGKILL');
      await sidecar.stop('SIGKILL');
    }
  });
});
