import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MechaError } from '@mecha/core';
import { LocalNameResolver, listInstances } from '../src/index.ts';

let registryPath: string;
const resolvers: LocalNameResolver[] = [];

beforeEach(async () => {
  registryPath = join(await mkdtemp(join(tmpdir(), 'mecha-nr-')), 'instances');
});
afterEach(async () => {
  await Promise.all(resolvers.splice(0).map((resolver) => resolver.close()));
  await rm(join(registryPath, '..'), { recursive: true, force: true });
});

function resolver(cacheTtlMs?: number): LocalNameResolver {
  const created = new LocalNameResolver({ registryPath, cacheTtlMs });
  resolvers.push(created);
  return created;
}

/** The pid of a process that has already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

describe('LocalNameResolver', () => {
  it('lets two sidecars registering different app ids find each other', async () => {
    const orders = resolver();
    const billing = resolver();
    await orders.register({ appId: 'orders', host: '127.0.0.1', httpPort: 3500, grpcPort: 50001, pid: process.pid });
    await billing.register({ appId: 'billing', host: '127.0.0.1', httpPort: 3600, internalGrpcPort: 50002, pid: process.ppid });
    expect(await orders.resolve('billing')).toEqual({ appId: 'billing', host: '127.0.0.1', httpPort: 3600, internalGrpcPort: 50002 });
    expect(await billing.resolve('orders')).toEqual({ appId: 'orders', host: '127.0.0.1', httpPort: 3500, grpcPort: 50001 });
  });

  it("fails with ERR_DIRECT_INVOKE \"couldn't find service\" for an app id nobody registered", async () => {
    const failure = await resolver().resolve('ghost').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MechaError);
    expect(failure).toMatchObject({ code: 'ERR_DIRECT_INVOKE', kind: 'internal', message: "couldn't find service: ghost" });
  });

  it('does not confuse an app id with another that starts with it', async () => {
    const r = resolver();
    await r.register({ appId: 'a-b', host: '127.0.0.1', httpPort: 2, pid: process.pid });
    await expect(r.resolve('a')).rejects.toMatchObject({ code: 'ERR_DIRECT_INVOKE' });
    await r.register({ appId: 'a', host: '127.0.0.1', httpPort: 1, pid: process.pid });
    expect((await r.resolve('a')).httpPort).toBe(1);
    expect((await r.resolve('a-b')).httpPort).toBe(2);
  });

  it('ignores and deletes an entry whose process is dead', async () => {
    const writer = resolver();
    const pid = await deadPid();
    await writer.register({ appId: 'stale', host: '127.0.0.1', httpPort: 4000, pid });
    expect(await readdir(registryPath)).toEqual([`stale-${pid}.json`]);
    await expect(resolver().resolve('stale')).rejects.toMatchObject({ code: 'ERR_DIRECT_INVOKE' });
    expect(await readdir(registryPath)).toEqual([]);
  });

  it('picks among live instances of one app round-robin, skipping a dead one', async () => {
    const a = resolver();
    await a.register({ appId: 'web', host: '127.0.0.1', httpPort: 5001, pid: process.pid });
    await a.register({ appId: 'web', host: '127.0.0.1', httpPort: 5002, pid: process.ppid });
    await a.register({ appId: 'web', host: '127.0.0.1', httpPort: 5003, pid: await deadPid() });
    const r = resolver();
    const ports = [];
    for (let i = 0; i < 6; i++) ports.push((await r.resolve('web')).httpPort);
    expect(new Set(ports)).toEqual(new Set([5001, 5002]));
    expect(ports.filter((port) => port === 5001)).toHaveLength(3);
    expect(ports[0]).not.toBe(ports[1]);
  });

  it('removes its files on close, and a new lookup no longer finds it', async () => {
    const leaving = resolver();
    await leaving.register({ appId: 'leaving', host: '127.0.0.1', httpPort: 1234, pid: process.pid });
    const observer = resolver(0);
    expect((await observer.resolve('leaving')).httpPort).toBe(1234);
    await leaving.close();
    expect(await readdir(registryPath)).toEqual([]);
    await expect(observer.resolve('leaving')).rejects.toMatchObject({ code: 'ERR_DIRECT_INVOKE' });
  });

  it('reuses a hit within the cache TTL but reads again at once after a miss', async () => {
    const observer = resolver(60_000);
    await expect(observer.resolve('late')).rejects.toMatchObject({ code: 'ERR_DIRECT_INVOKE' });
    const late = resolver();
    await late.register({ appId: 'late', host: '127.0.0.1', httpPort: 7000, pid: process.pid });
    expect((await observer.resolve('late')).httpPort).toBe(7000); // the miss was not cached
    await rm(join(registryPath, `late-${process.pid}.json`));
    expect((await observer.resolve('late')).httpPort).toBe(7000); // the hit is cached
    await expect(resolver().resolve('late')).rejects.toMatchObject({ code: 'ERR_DIRECT_INVOKE' });
  });

  it('re-registering replaces the announced address', async () => {
    const r = resolver(0);
    await r.register({ appId: 'moving', host: '127.0.0.1', httpPort: 1, pid: process.pid });
    await r.register({ appId: 'moving', host: '127.0.0.1', httpPort: 2, pid: process.pid, labels: { appPort: '9' } });
    expect((await r.resolve('moving')).httpPort).toBe(2);
    expect(await listInstances(registryPath)).toMatchObject([{ appId: 'moving', httpPort: 2, labels: { appPort: '9' } }]);
  });

  it('survives concurrent registrations: every file complete, no temporaries left', async () => {
    const many = Array.from({ length: 25 }, () => resolver());
    await Promise.all([
      ...many.map((r, i) => r.register({ appId: `app${i}`, host: '127.0.0.1', httpPort: 10_000 + i, pid: process.pid })),
      // The same app and pid written at once by several writers: the last rename wins, whole.
      ...Array.from({ length: 10 }, (_, i) => many[i]!.register({ appId: 'contended', host: '127.0.0.1', httpPort: 20_000 + i, pid: process.pid })),
    ]);
    const names = await readdir(registryPath);
    expect(names.filter((name) => name.startsWith('.'))).toEqual([]);
    expect(names).toHaveLength(26);
    const listed = await listInstances(registryPath);
    expect(listed.map((i) => i.appId).sort()).toEqual([...Array.from({ length: 25 }, (_, i) => `app${i}`), 'contended'].sort());
    const contended = await resolver().resolve('contended');
    expect(contended.httpPort).toBeGreaterThanOrEqual(20_000);
    expect(contended.httpPort).toBeLessThan(20_010);
    const lookups = await Promise.all(many.map((_, i) => many[(i + 1) % many.length]!.resolve(`app${i}`)));
    expect(lookups.map((address) => address.httpPort)).toEqual(many.map((_, i) => 10_000 + i));
  });

  it('finds a sidecar registered by another process, and forgets it when that process exits', async () => {
    const entry = join(fileURLToPath(new URL('../src/index.ts', import.meta.url)));
    const script = `
      import { LocalNameResolver } from ${JSON.stringify(entry)};
      const resolver = new LocalNameResolver({ registryPath: process.argv[1] });
      await resolver.register({ appId: 'child-app', host: '127.0.0.1', httpPort: 4321, pid: process.pid, labels: { command: 'child' } });
      console.log('ready');
      process.stdin.resume();
      process.stdin.on('end', () => process.exit(0));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, registryPath], { stdio: ['pipe', 'pipe', 'inherit'] });
    const [line] = await once(createInterface({ input: child.stdout }), 'line');
    expect(line).toBe('ready');
    const r = resolver(0);
    expect(await r.resolve('child-app')).toEqual({ appId: 'child-app', host: '127.0.0.1', httpPort: 4321 });
    expect(await listInstances(registryPath)).toEqual([
      { appId: 'child-app', host: '127.0.0.1', httpPort: 4321, pid: child.pid, labels: { command: 'child' } },
    ]);
    child.stdin.end();
    await once(child, 'exit');
    expect(await readdir(registryPath)).toEqual([]);
    await expect(r.resolve('child-app')).rejects.toMatchObject({ code: 'ERR_DIRECT_INVOKE' });
  });
});

describe('listInstances', () => {
  it('returns live instances with labels, skipping broken files, temporaries and other files', async () => {
    const r = resolver();
    await r.register({ appId: 'b', host: '127.0.0.1', httpPort: 2, pid: process.pid, labels: { appPort: '3000', runFile: 'dapr.yaml' } });
    await r.register({ appId: 'a', host: '::1', httpPort: 1, pid: process.pid });
    await writeFile(join(registryPath, `broken-${process.pid}.json`), '{"appId":');
    await writeFile(join(registryPath, `mismatch-${process.pid}.json`), JSON.stringify({ appId: 'other', host: 'h', httpPort: 1, pid: process.pid }));
    await writeFile(join(registryPath, `.a-1.json.tmp`), 'partial');
    await writeFile(join(registryPath, 'README'), 'not an instance');
    const listed = await listInstances(registryPath);
    expect(listed).toEqual([
      { appId: 'a', host: '::1', httpPort: 1, pid: process.pid },
      { appId: 'b', host: '127.0.0.1', httpPort: 2, pid: process.pid, labels: { appPort: '3000', runFile: 'dapr.yaml' } },
    ]);
    const record = JSON.parse(await readFile(join(registryPath, `b-${process.pid}.json`), 'utf8')) as { registeredAt: string };
    expect(Number.isNaN(Date.parse(record.registeredAt))).toBe(false);
  });

  it('returns nothing for a registry folder that does not exist yet', async () => {
    expect(await listInstances(join(registryPath, 'missing'))).toEqual([]);
  });
});
