import net from 'node:net';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMechad, type MechadProcess } from './support/mechad-process.ts';

/**
 * The lock API through real mechad processes on a real Redis: the official SDK over HTTP and
 * gRPC, owner checks, expiry, and two apps competing for one lock through their own sidecars.
 */
const redisHost = process.env['MECHA_TEST_REDIS'] || '127.0.0.1:6379';
const run = `${process.pid}-${Date.now()}`;

/** A Dapr user's lock.redis file; `keyPrefix: none` so different apps share the lock. */
const lockComponent = (keyPrefix: string) => `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: lockstore
spec:
  type: lock.redis
  version: v1
  metadata:
    - name: redisHost
      value: ${redisHost}
    - name: redisPassword
      value: ""
    - name: keyPrefix
      value: ${keyPrefix}
`;

function reachable(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), host!, () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const clientFor = (sidecar: MechadProcess, protocol: 'HTTP' | 'gRPC') =>
  new DaprClient({
    daprHost: '127.0.0.1',
    daprPort: String(protocol === 'HTTP' ? sidecar.httpPort : sidecar.grpcPort),
    communicationProtocol: protocol === 'HTTP' ? CommunicationProtocolEnum.HTTP : CommunicationProtocolEnum.GRPC,
    logger: { level: LogLevel.Error },
  });

describe('lock API through mechad on Redis', () => {
  let first: MechadProcess;
  let second: MechadProcess;

  beforeAll(async () => {
    if (!(await reachable(redisHost))) throw new Error(`Redis is not reachable at ${redisHost}: start it with bash tooling/services/up.sh redis`);
    [first, second] = await Promise.all([
      startMechad({ appId: 'lock-app-a', resources: { 'lock.yaml': lockComponent('none') } }),
      startMechad({ appId: 'lock-app-b', resources: { 'lock.yaml': lockComponent('none') } }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
  });

  for (const protocol of ['HTTP', 'gRPC'] as const) {
    it(`@dapr/dapr over ${protocol}: lock, refuse the other owner, owner-checked unlock, expiry`, async () => {
      const a = clientFor(first, protocol);
      const b = clientFor(second, protocol);
      const resource = `sdk-${protocol}-${run}`;
      try {
        expect(await a.lock.lock('lockstore', resource, 'owner-a', 30)).toEqual({ success: true });
        expect(await b.lock.lock('lockstore', resource, 'owner-b', 30)).toEqual({ success: false });
        // 2 = LockBelongsToOthers, 0 = Success, 1 = LockDoesNotExist.
        expect((await b.lock.unlock('lockstore', resource, 'owner-b')).status).toBe(2);
        expect((await a.lock.unlock('lockstore', resource, 'owner-a')).status).toBe(0);
        expect((await a.lock.unlock('lockstore', resource, 'owner-a')).status).toBe(1);
        // An expired lock can be taken again by someone else.
        expect(await a.lock.lock('lockstore', resource, 'owner-a', 1)).toEqual({ success: true });
        let taken = false;
        const deadline = Date.now() + 10_000;
        while (!taken && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          taken = (await b.lock.lock('lockstore', resource, 'owner-b', 30)).success;
        }
        expect(taken).toBe(true);
        expect((await a.lock.unlock('lockstore', resource, 'owner-a')).status).toBe(2);
        expect((await b.lock.unlock('lockstore', resource, 'owner-b')).status).toBe(0);
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
    });
  }

  it('two apps competing over 1,000 attempts: never two holders at once, and both win sometimes', async () => {
    const resource = `contended-${run}`;
    const clients = [clientFor(first, 'HTTP'), clientFor(second, 'gRPC')];
    let holders = 0;
    let mostHolders = 0;
    const wins = [0, 0];
    let attempts = 0;
    try {
      await Promise.all(
        clients.map(async (client, app) => {
          for (let i = 0; i < 500; i++) {
            attempts++;
            const owner = `app-${app}-attempt-${i}`;
            const { success } = await client.lock.lock('lockstore', resource, owner, 10);
            if (!success) continue;
            wins[app]!++;
            holders++;
            mostHolders = Math.max(mostHolders, holders);
            // Hold it across an event-loop turn so the other app's attempts overlap the hold.
            await new Promise((resolve) => setImmediate(resolve));
            holders--;
            const { status } = await client.lock.unlock('lockstore', resource, owner);
            expect(status).toBe(0);
          }
        }),
      );
    } finally {
      await Promise.all(clients.map((client) => client.stop()));
    }
    console.log(`lock contention: ${attempts} attempts, app A won ${wins[0]}, app B won ${wins[1]}, most holders at once ${mostHolders}`);
    expect(attempts).toBe(1000);
    expect(mostHolders).toBe(1);
    expect(wins[0]).toBeGreaterThan(0);
    expect(wins[1]).toBeGreaterThan(0);
  });

  it("answers bad input and unknown stores with Dapr's errors, and both API paths work", async () => {
    const post = async (pathname: string, body: string) => {
      const response = await fetch(`${first.url}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    expect(await post('/v1.0-alpha1/lock/nostore', '{"resourceId":"r","lockOwner":"o","expiryInSeconds":5}')).toMatchObject({
      status: 400,
      body: { errorCode: 'ERR_LOCK_STORE_NOT_FOUND', message: 'lock store nostore is not found' },
    });
    expect(await post('/v1.0-alpha1/lock/lockstore', '{"resourceId":"r","lockOwner":"o"')).toMatchObject({ status: 400, body: { errorCode: 'ERR_MALFORMED_REQUEST' } });
    expect(await post('/v1.0-alpha1/lock/lockstore', '{"resourceId":"","lockOwner":"o","expiryInSeconds":5}')).toMatchObject({
      status: 400,
      body: { errorCode: 'ERR_MALFORMED_REQUEST', message: 'ResourceId is empty in lock store lockstore' },
    });
    expect(await post('/v1.0-alpha1/lock/lockstore', '{"resourceId":"r","lockOwner":"o","expiryInSeconds":"5"}')).toMatchObject({
      status: 400,
      body: { message: 'ExpiryInSeconds is not positive in lock store lockstore' },
    });
    expect(await post('/v1.0-alpha1/lock/lockstore', '[1,2]')).toMatchObject({ status: 400, body: { errorCode: 'ERR_MALFORMED_REQUEST' } });
    const resource = `paths-${run}`;
    expect(await post('/v1.0/lock/lockstore', JSON.stringify({ resourceId: resource, lockOwner: 'o', expiryInSeconds: 5 }))).toEqual({ status: 200, body: { success: true } });
    expect(await post('/v1.0-alpha1/unlock/lockstore', JSON.stringify({ resourceId: resource, lockOwner: 'o' }))).toEqual({ status: 200, body: { status: 0 } });
    const noLocks = await startMechad({ appId: 'lock-none' });
    try {
      const response = await fetch(`${noLocks.url}/v1.0-alpha1/lock/lockstore`, { method: 'POST', body: '{"resourceId":"r","lockOwner":"o","expiryInSeconds":5}' });
      expect(response.status).toBe(500);
      expect(await response.json()).toMatchObject({ errorCode: 'ERR_LOCK_STORE_NOT_CONFIGURED' });
    } finally {
      await noLocks.stop();
    }
  });
});
