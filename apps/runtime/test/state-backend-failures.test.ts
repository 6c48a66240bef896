import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { holdService } from '@mecha/services/lock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { component, requireServer, runId, type Backend } from './backends/backends.ts';
import { startMechad, waitFor, type MechadProcess } from './support/mechad-process.ts';

/**
 * A database goes away in the middle of a run and comes back: mechad must answer every call
 * with a clear ERR_STATE_* error within the component's configured timeout, stay up (same
 * process), serve again once the server is back without a restart, and lose no write it
 * acknowledged.
 *
 * The outage is real: `tooling/services/ctl.sh` stops a server of its own (`redis-failure` on
 * 6390, `postgresql-failure` on 5433, started by `up.sh` beside the shared ones), so suites
 * running at the same time are not disturbed. The server is started again whatever happens
 * (in `finally` and in `afterAll`).
 */
const execFileAsync = promisify(execFile);
const ctlScript = fileURLToPath(new URL('../../../tooling/services/ctl.sh', import.meta.url));

/** Scheduling on a loaded 2-core machine, on top of the configured timeout; a correctness bound, not a speed target. */
const slackMs = 2000;
/** How long the server stays down once it is confirmed down. */
const outageMs = 1500;

interface Case {
  backend: Backend;
  /** The component type's last part, e.g. `redis` for `state.redis`. */
  store: 'redis' | 'postgresql';
  /** The private server `ctl.sh` stops and starts. */
  service: 'redis-failure' | 'postgresql-failure';
  /** The longest a call may take while the server is down, as configured in the component. */
  timeoutMs: number;
  metadata: (run: string) => Record<string, string>;
}

/** The private servers this suite may stop (see tooling/services/README.md). */
const privateRedis: Backend = { name: 'redis (private, for outages)', address: process.env['MECHA_TEST_REDIS_FAILURE'] || '127.0.0.1:6390', componentYaml: () => '' };
const privatePostgres: Backend = { name: 'postgresql (private, for outages)', address: '127.0.0.1:5433', componentYaml: () => '' };

const cases: Case[] = [
  {
    backend: privateRedis,
    store: 'redis',
    service: 'redis-failure',
    // ioredis has one timeout per command (the larger of readTimeout and writeTimeout) and a dial timeout.
    timeoutMs: 1000,
    metadata: () => ({
      redisHost: privateRedis.address,
      redisPassword: '',
      dialTimeout: '1s',
      readTimeout: '1s',
      // Reconnect quickly once Redis is back.
      redisMaxRetryInterval: '500ms',
    }),
  },
  {
    backend: privatePostgres,
    store: 'postgresql',
    service: 'postgresql-failure',
    timeoutMs: 2000,
    metadata: (run) => ({
      connectionString: 'host=127.0.0.1 user=postgres password=postgres port=5433 connect_timeout=2 database=postgres',
      tableName: `failure_${run}`,
      timeout: '2s',
    }),
  },
];

async function ctl(action: 'stop' | 'start' | 'status', service: string): Promise<{ ok: boolean; output: string }> {
  try {
    // start waits for up.sh's lock, which another up.sh may hold for a while.
    const { stdout, stderr } = await execFileAsync('bash', [ctlScript, action, service], { timeout: 300_000 });
    return { ok: true, output: `${stdout}${stderr}`.trim() };
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}`.trim() || failure.message };
  }
}

interface Attempt {
  key: string;
  value: string;
  status: number;
  errorCode?: string;
  message?: string;
  ms: number;
  /** performance.now() when the call was sent, to place it relative to the outage. */
  at: number;
}

/** One HTTP call, timed; a call that hangs is cut at 30 s and reported as status 0. */
async function call(url: string, init: RequestInit = {}): Promise<{ status: number; body: string; ms: number; at: number }> {
  const at = performance.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
    const body = await response.text();
    return { status: response.status, body, ms: performance.now() - at, at };
  } catch (error) {
    return { status: 0, body: String(error), ms: performance.now() - at, at };
  }
}

function errorOf(body: string): { errorCode?: string; message?: string } {
  try {
    return JSON.parse(body) as { errorCode?: string; message?: string };
  } catch {
    return { message: body };
  }
}

/**
 * Writers saving k0, k1, … with distinct values until stopped, `workers` at once; every 204 is
 * an acknowledged write.
 */
class WriterLoop {
  readonly attempts: Attempt[] = [];
  #next = 0;
  #stopped = false;
  #running: Promise<void>[] = [];
  readonly #url: string;
  readonly #prefix: string;

  constructor(url: string, prefix: string) {
    this.#url = url;
    this.#prefix = prefix;
  }

  start(workers: number): void {
    this.#running = Array.from({ length: workers }, () => this.#work());
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#running);
  }

  acknowledged(): Attempt[] {
    return this.attempts.filter((a) => a.status === 204);
  }

  async #work(): Promise<void> {
    while (!this.#stopped) {
      const i = this.#next++;
      const key = `${this.#prefix}k${i}`;
      const value = `value ${i} of ${this.#prefix}`;
      const result = await call(`${this.#url}/v1.0/state/statestore`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([{ key, value }]),
      });
      this.attempts.push({ key, value, status: result.status, ms: result.ms, at: result.at, ...(result.status === 204 ? {} : errorOf(result.body)) });
      // Paced, so the run writes hundreds of keys rather than tens of thousands.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

async function bulkGet(url: string, keys: string[]): Promise<Map<string, unknown>> {
  const found = new Map<string, unknown>();
  for (let i = 0; i < keys.length; i += 200) {
    const result = await call(`${url}/v1.0/state/statestore/bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ keys: keys.slice(i, i + 200), parallelism: 10 }),
    });
    expect(result.status, result.body).toBe(200);
    for (const item of JSON.parse(result.body) as { key: string; data?: unknown }[]) if (item.data !== undefined) found.set(item.key, item.data);
  }
  return found;
}

for (const { backend, store, service, timeoutMs, metadata } of cases) {
  describe(`${backend.name} stops in the middle of a run`, () => {
    let sidecar: MechadProcess;
    let releaseService: () => void = () => {};
    const run = runId();

    beforeAll(async () => {
      // Other suites restart the private servers too: take turns.
      releaseService = await holdService(service);
      await requireServer(backend);
      sidecar = await startMechad({ appId: `failure-${run}`, resources: { 'statestore.yaml': component(`state.${store}`, metadata(run)) } });
    }, 15 * 60_000);

    afterAll(async () => {
      // Whatever happened, leave the server up for the other suites.
      const status = await ctl('status', service);
      if (!status.ok) {
        const started = await ctl('start', service);
        if (!started.ok) throw new Error(`could not start ${service} again: ${started.output}`);
      }
      await sidecar?.stop();
      releaseService();
    }, 320_000);

    it('fails fast with ERR_STATE_*, stays up, recovers without a restart and keeps every acknowledged write', async () => {
      const url = sidecar.url;
      const pid = sidecar.process.pid;
      const writer = new WriterLoop(url, `${run}-`);
      writer.start(4);
      let stoppedAt = 0;
      let restartedAt = 0;
      try {
        await waitFor(() => (writer.acknowledged().length >= 50 ? true : undefined), 'the first 50 acknowledged writes');

        const stopped = await ctl('stop', service);
        expect(stopped.ok, `bash tooling/services/ctl.sh stop ${service}: ${stopped.output}`).toBe(true);
        stoppedAt = performance.now();

        // While it is down: each kind of call fails with its own ERR_STATE_* code, within the timeout.
        const save = await call(`${url}/v1.0/state/statestore`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify([{ key: `${run}-while-down`, value: 'x' }]),
        });
        const get = await call(`${url}/v1.0/state/statestore/${run}-k0`);
        const remove = await call(`${url}/v1.0/state/statestore/${run}-k1`, { method: 'DELETE' });
        for (const [result, code] of [
          [save, 'ERR_STATE_SAVE'],
          [get, 'ERR_STATE_GET'],
          [remove, 'ERR_STATE_DELETE'],
        ] as const) {
          expect({ status: result.status, errorCode: errorOf(result.body).errorCode }, result.body).toEqual({ status: 500, errorCode: code });
          // A clear message: it names the server that is unreachable.
          expect(errorOf(result.body).message).toContain(backend.address);
          expect(result.ms, `${code} answered after ${Math.round(result.ms)} ms`).toBeLessThanOrEqual(timeoutMs + slackMs);
        }

        // mechad itself is fine: its outbound health answers and it is the same process.
        const health = await call(`${url}/v1.0/healthz/outbound`);
        expect(health.status).toBe(204);
        expect(sidecar.process.exitCode).toBeNull();

        await new Promise((resolve) => setTimeout(resolve, outageMs));
      } finally {
        const started = await ctl('start', service);
        restartedAt = performance.now();
        expect(started.ok, `bash tooling/services/ctl.sh start ${service}: ${started.output}`).toBe(true);
      }

      // Back without restarting mechad: writes are acknowledged again.
      await waitFor(
        () => (writer.attempts.filter((a) => a.status === 204 && a.at > restartedAt).length >= 50 ? true : undefined),
        `50 acknowledged writes after ${service} came back`,
        20_000,
      );
      await writer.stop();
      expect(sidecar.process.pid).toBe(pid);
      expect(sidecar.process.exitCode).toBeNull();

      // The writers saw the outage: failed calls while the server was down, each a clear
      // ERR_STATE_SAVE within the timeout (calls cut off when the server went away included).
      const failed = writer.attempts.filter((a) => a.status !== 204);
      const duringOutage = failed.filter((a) => a.at >= stoppedAt && a.at < restartedAt);
      expect(duringOutage.length, 'writes attempted while the server was down').toBeGreaterThan(0);
      for (const attempt of failed) {
        expect({ key: attempt.key, status: attempt.status, errorCode: attempt.errorCode }).toEqual({ key: attempt.key, status: 500, errorCode: 'ERR_STATE_SAVE' });
        expect(attempt.ms, `${attempt.key}: failed after ${Math.round(attempt.ms)} ms`).toBeLessThanOrEqual(timeoutMs + slackMs);
      }

      // No acknowledged write is lost.
      const acknowledged = writer.acknowledged();
      const found = await bulkGet(url, acknowledged.map((a) => a.key));
      const lost = acknowledged.filter((a) => found.get(a.key) !== a.value).map((a) => a.key);
      expect(lost, `${lost.length} of ${acknowledged.length} acknowledged writes did not read back`).toEqual([]);

      // Tidy up the run's keys (the PostgreSQL table is the run's own and stays, as the matrix's do).
      const keys = writer.attempts.map((a) => a.key);
      for (let i = 0; i < keys.length; i += 100) {
        const operations = keys.slice(i, i + 100).map((key) => ({ operation: 'delete', request: { key } }));
        const result = await call(`${url}/v1.0/state/statestore/transaction`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ operations }),
        });
        expect(result.status, result.body).toBe(204);
      }
    }, 360_000);
  });
}
