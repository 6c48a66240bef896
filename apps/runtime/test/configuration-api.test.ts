import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaprGrpcClient, type CallError } from './support/dapr-grpc-client.ts';
import { freePort, startMechad, waitFor, type MechadProcess } from './support/mechad-process.ts';

/**
 * The configuration API through real mechad processes on a real Redis and PostgreSQL: the
 * official SDK over gRPC (its HTTP client does not implement configuration), the HTTP API
 * with updates posted to the app, changes made directly in the backends arriving, unsubscribe
 * stopping them, and Dapr's errors for bad input.
 */
const run = randomBytes(5).toString('hex');
const redisHost = process.env['MECHA_TEST_REDIS'] || '127.0.0.1:6379';
const redisDB = '13';
const postgres = process.env['MECHA_TEST_POSTGRES'] || 'host=127.0.0.1 port=5432 user=postgres password=postgres database=postgres connect_timeout=10';
const pg = Object.fromEntries(postgres.split(/\s+/).map((pair) => pair.split('=') as [string, string]));
const table = `mecha_cfg_api_${run}`;
const channel = `${table}_changes`;
const exec = promisify(execFile);

/** Changes made directly in the backends, the way an operator would. */
async function redis(...args: string[]): Promise<string> {
  const [host, port] = redisHost.split(':');
  const { stdout } = await exec('redis-cli', ['-h', host!, '-p', port ?? '6379', '-n', redisDB, ...args]);
  return stdout.trim();
}

async function sql(statement: string): Promise<string> {
  const { stdout } = await exec('psql', ['-h', pg['host']!, '-p', pg['port'] ?? '5432', '-U', pg['user']!, '-d', pg['database'] ?? 'postgres', '-v', 'ON_ERROR_STOP=1', '-Atqc', statement], {
    env: { ...process.env, PGPASSWORD: pg['password'] ?? '' },
  });
  return stdout.trim();
}

/** Dapr's documented table and trigger (configuration.postgresql reference page). */
const tableSetup = `
CREATE TABLE ${table} (KEY VARCHAR NOT NULL, VALUE VARCHAR NOT NULL, VERSION VARCHAR NOT NULL, METADATA JSON);
CREATE OR REPLACE FUNCTION ${table}_notify() RETURNS TRIGGER AS $$
  DECLARE data json; notification json;
  BEGIN
    IF (TG_OP = 'DELETE') THEN data = row_to_json(OLD); ELSE data = row_to_json(NEW); END IF;
    notification = json_build_object('table', TG_TABLE_NAME, 'action', TG_OP, 'data', data);
    PERFORM pg_notify('${channel}', notification::text);
    RETURN NULL;
  END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ${table}_changed AFTER INSERT OR UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE PROCEDURE ${table}_notify();`;

const upsert = (key: string, value: string, version: string) =>
  sql(
    `UPDATE ${table} SET value = '${value}', version = '${version}' WHERE key = '${key}'; ` +
      `INSERT INTO ${table} (key, value, version) SELECT '${key}', '${value}', '${version}' WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE key = '${key}');`,
  );

const component = (name: string, type: string, metadata: Record<string, string>) => `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: ${type}
  version: v1
  metadata:
${Object.entries(metadata)
  .map(([field, value]) => `    - name: ${field}\n      value: "${value}"`)
  .join('\n')}
`;

const resources = {
  'redis.yaml': component('redisconfig', 'configuration.redis', { redisHost, redisPassword: '', redisDB }),
  // The channel in component metadata: the SDK's subscribeWithKeys needs no request metadata.
  'pg.yaml': component('pgconfig', 'configuration.postgresql', { connectionString: postgres, table, notifyChannel: channel }),
  // As Dapr's docs set it up: the channel comes with each subscribe request.
  'pg-docs.yaml': component('pgdocs', 'configuration.postgresql', { connectionString: postgres, table }),
};

/** The app: records every configuration update mechad posts to it. */
interface Posted {
  path: string;
  contentType: string | undefined;
  body: { id: string; items: Record<string, Record<string, unknown>> };
}

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

const key = (label: string) => `cfg-${label}-${run}`;

describe('configuration API through mechad on Redis and PostgreSQL', () => {
  let sidecar: MechadProcess;
  let appless: MechadProcess;
  let empty: MechadProcess;
  let app: Server;
  const posted: Posted[] = [];
  const keys: string[] = [];
  const track = (label: string) => {
    const name = key(label);
    keys.push(name);
    return name;
  };

  const postsFor = (id: string, item: string) => posted.filter((p) => p.body.id === id && item in p.body.items);
  const waitForPost = (id: string, item: string, accept: (entry: Record<string, unknown>) => boolean, what: string) =>
    waitFor(() => postsFor(id, item).find((p) => accept(p.body.items[item]!)), what, 15_000);

  beforeAll(async () => {
    if (!(await reachable(redisHost))) throw new Error(`Redis is not reachable at ${redisHost}: start it with bash tooling/services/up.sh redis`);
    await sql(tableSetup).catch((error: Error) => {
      throw new Error(`PostgreSQL is not usable with psql (${error.message}): start it with bash tooling/services/up.sh postgresql`);
    });
    const appPort = await freePort();
    app = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString()));
      request.on('end', () => {
        if (request.method === 'POST' && request.url?.startsWith('/configuration/')) {
          posted.push({ path: request.url, contentType: request.headers['content-type'], body: JSON.parse(text) as Posted['body'] });
        }
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => app.listen(appPort, '127.0.0.1', resolve));
    [sidecar, appless, empty] = await Promise.all([
      startMechad({ appId: 'config-app', appPort, resources }),
      startMechad({ appId: 'config-appless', resources: { 'redis.yaml': resources['redis.yaml'] } }),
      startMechad({ appId: 'config-none', resources: {} }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([sidecar?.stop(), appless?.stop(), empty?.stop()]);
    await new Promise((resolve) => app?.close(resolve));
    if (keys.length > 0) await redis('DEL', ...keys).catch(() => undefined);
    await sql(`DROP TABLE IF EXISTS ${table}; DROP FUNCTION IF EXISTS ${table}_notify();`).catch(() => undefined);
  });

  const get = async (path: string) => {
    const response = await fetch(`${sidecar.url}${path}`);
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
  };

  it('HTTP: reads keys from both stores in Dapr\'s shape, every key without ?key, and 204 when none is found', async () => {
    const [a, b, missing] = [track('get-a'), track('get-b'), key('missing')];
    await redis('SET', a, 'alpha||1');
    await redis('SET', b, 'beta');
    await upsert(a, 'pg-alpha', '4');
    for (const version of ['v1.0', 'v1.0-alpha1']) {
      expect(await get(`/${version}/configuration/redisconfig?key=${a}&key=${b}&key=${missing}`)).toEqual({
        status: 200,
        body: { [a]: { value: 'alpha', version: '1' }, [b]: { value: 'beta' } },
      });
    }
    expect(await get(`/v1.0/configuration/pgconfig?key=${a}`)).toEqual({ status: 200, body: { [a]: { value: 'pg-alpha', version: '4' } } });
    expect(await get(`/v1.0/configuration/redisconfig?key=${missing}`)).toEqual({ status: 204, body: undefined });
    const all = await get('/v1.0/configuration/redisconfig');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ [a]: { value: 'alpha', version: '1' }, [b]: { value: 'beta' } });
    expect((await get('/v1.0/configuration/pgconfig')).body).toMatchObject({ [a]: { value: 'pg-alpha' } });
  });

  it('HTTP: a change made in Redis reaches the app at /configuration/<store>/<key>; unsubscribe stops it', async () => {
    const watched = track('http-redis');
    const { body: first } = await get(`/v1.0/configuration/redisconfig/subscribe?key=${watched}`);
    const { body: witness } = await get(`/v1.0-alpha1/configuration/redisconfig/subscribe?key=${watched}`);
    const id = first!['id'] as string;
    const witnessId = witness!['id'] as string;
    expect(id).toMatch(/\S/);
    expect(witnessId).not.toBe(id);
    await redis('SET', watched, 'on||2');
    const update = await waitForPost(id, watched, (item) => item['value'] === 'on', 'the Redis change posted to the app');
    expect(update.path).toBe(`/configuration/redisconfig/${watched}`);
    expect(update.contentType).toMatch(/^application\/json/);
    expect(update.body).toEqual({ id, items: { [watched]: { value: 'on', version: '2' } } });
    expect(await get(`/v1.0/configuration/redisconfig/${id}/unsubscribe`)).toEqual({ status: 200, body: { ok: true } });
    const before = postsFor(id, watched).length;
    await redis('SET', watched, 'later||3');
    await redis('DEL', watched);
    await waitForPost(witnessId, watched, (item) => item['value'] === undefined, 'the deletion reaching the witness subscription as {}');
    expect(postsFor(id, watched).length).toBe(before);
    expect(await get(`/v1.0-alpha1/configuration/redisconfig/${witnessId}/unsubscribe`)).toEqual({ status: 200, body: { ok: true } });
  });

  it("HTTP: a change made in PostgreSQL reaches the app, with the channel in the request metadata as Dapr's docs do it", async () => {
    const watched = track('http-pg');
    const { status, body } = await get(`/v1.0/configuration/pgdocs/subscribe?key=${watched}&metadata.pgNotifyChannel=${channel}`);
    expect(status).toBe(200);
    const id = body!['id'] as string;
    await upsert(watched, 'from-sql', '7');
    const update = await waitForPost(id, watched, (item) => item['value'] === 'from-sql', 'the PostgreSQL change posted to the app');
    expect(update.path).toBe(`/configuration/pgdocs/${watched}`);
    expect(update.body.items[watched]).toEqual({ value: 'from-sql', version: '7' });
    await sql(`DELETE FROM ${table} WHERE key = '${watched}'`);
    await waitForPost(id, watched, (item) => Object.keys(item).length === 0, 'the deletion posted as an empty item');
    expect(await get(`/v1.0/configuration/pgdocs/${id}/unsubscribe`)).toEqual({ status: 200, body: { ok: true } });
  });

  for (const store of ['redisconfig', 'pgconfig'] as const) {
    it(`@dapr/dapr over gRPC on ${store}: get, subscribeWithKeys sees a direct change, stop() ends it`, async () => {
      const client = new DaprClient({
        daprHost: '127.0.0.1',
        daprPort: String(sidecar.grpcPort),
        communicationProtocol: CommunicationProtocolEnum.GRPC,
        logger: { level: LogLevel.Error },
      });
      const [a, watched] = [track(`sdk-${store}-a`), track(`sdk-${store}-watched`)];
      const write = (name: string, value: string, version: string) => (store === 'redisconfig' ? redis('SET', name, `${value}||${version}`) : upsert(name, value, version));
      try {
        await write(a, 'sdk-value', '5');
        const got = await client.configuration.get(store, [a, key('sdk-missing')]);
        expect(got.items).toEqual({ [a]: { key: a, value: 'sdk-value', version: '5', metadata: {} } });

        const seen: string[] = [];
        const witnessed: string[] = [];
        const subscription = await client.configuration.subscribeWithKeys(store, [watched], async (update) => {
          seen.push(update.items[watched]?.value ?? '?');
        });
        const witness = await client.configuration.subscribeWithKeys(store, [watched], async (update) => {
          witnessed.push(update.items[watched]?.value ?? '?');
        });
        // The SDK resolves before its stream is open; keep writing until a change arrives.
        const deadline = Date.now() + 15_000;
        for (let attempt = 1; !seen.some((value) => value.startsWith('first-')); attempt++) {
          if (Date.now() > deadline) throw new Error(`no direct change on ${store} reached the SDK callback; got ${JSON.stringify(seen)}`);
          await write(watched, `first-${attempt}`, String(attempt));
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        await waitFor(() => witnessed.some((value) => value.startsWith('first-')), 'the witness subscription', 15_000);
        await subscription.stop();
        const count = seen.length;
        await write(watched, 'after-stop', '1000');
        await waitFor(() => witnessed.includes('after-stop'), 'the witness seeing the change after stop()', 15_000);
        expect(seen.length).toBe(count);
        await witness.stop();
      } finally {
        await client.stop();
      }
    });
  }

  it('gRPC: the first stream message carries the id; UnsubscribeConfiguration ends the stream with OK; unknown ids answer ok:false', async () => {
    const raw = new DaprGrpcClient(sidecar.grpcPort);
    const watched = track('raw-grpc');
    try {
      for (const method of ['GetConfigurationAlpha1', 'GetConfiguration']) {
        await redis('SET', watched, 'raw||9');
        expect(await raw.call(method, { store_name: 'redisconfig', keys: [watched] })).toEqual({ items: { [watched]: { value: 'raw', version: '9', metadata: {} } } });
      }
      for (const method of ['SubscribeConfigurationAlpha1', 'SubscribeConfiguration']) {
        const messages: { id: string; items: Record<string, { value: string }> }[] = [];
        const stream = (raw.raw as unknown as Record<string, (request: unknown) => grpc.ClientReadableStream<(typeof messages)[number]>>)[method]!.call(raw.raw, {
          store_name: 'redisconfig',
          keys: [watched],
        });
        const ended = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
        stream.on('data', (message: (typeof messages)[number]) => messages.push(message));
        stream.on('error', () => {});
        const first = await waitFor(() => messages[0], 'the first stream message');
        expect(first.id).toMatch(/\S/);
        expect(first.items).toEqual({});
        await redis('SET', watched, `streamed-${method}||1`);
        await waitFor(() => messages.find((m) => m.items[watched]?.value === `streamed-${method}`), 'an update on the stream');
        expect(messages.every((m) => m.id === first.id)).toBe(true);
        const unsubscribe = method.endsWith('Alpha1') ? 'UnsubscribeConfigurationAlpha1' : 'UnsubscribeConfiguration';
        expect(await raw.call(unsubscribe, { store_name: 'redisconfig', id: first.id })).toEqual({ ok: true, message: '' });
        expect((await ended).code).toBe(grpc.status.OK);
        expect(await raw.call(unsubscribe, { store_name: 'redisconfig', id: first.id })).toEqual({
          ok: false,
          message: `failed to unsubscribe to configuration request ${first.id}: subscription does not exist`,
        });
      }
    } finally {
      raw.raw.close();
    }
  });

  it("answers unknown stores, unknown subscriptions and subscriptions it cannot open with Dapr's errors", async () => {
    expect(await get('/v1.0/configuration/nostore?key=a')).toEqual({
      status: 400,
      body: { errorCode: 'ERR_CONFIGURATION_STORE_NOT_FOUND', message: 'configuration store nostore not found' },
    });
    expect((await get('/v1.0/configuration/nostore/subscribe?key=a')).body).toMatchObject({ errorCode: 'ERR_CONFIGURATION_STORE_NOT_FOUND' });
    expect((await get('/v1.0-alpha1/configuration/nostore/some-id/unsubscribe')).status).toBe(400);
    expect(await get('/v1.0/configuration/redisconfig/no-such-id/unsubscribe')).toEqual({
      status: 500,
      body: {
        ok: false,
        errorCode: 'ERR_CONFIGURATION_UNSUBSCRIBE',
        message: 'failed to unsubscribe to configuration request no-such-id: subscription with id no-such-id does not exist',
      },
    });
    // pgdocs has no notifyChannel: a subscribe request without pgNotifyChannel cannot be served.
    expect(await get('/v1.0/configuration/pgdocs/subscribe?key=a')).toEqual({
      status: 500,
      body: {
        errorCode: 'ERR_CONFIGURATION_SUBSCRIBE',
        message: `failed to subscribe [a] from Configuration store pgdocs: unable to subscribe to "${table}". notifyChannel must be set in component metadata or request metadata`,
      },
    });

    const raw = new DaprGrpcClient(sidecar.grpcPort);
    try {
      await expect(raw.call('GetConfiguration', { store_name: 'nostore', keys: ['a'] })).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: 'configuration store nostore not found',
      } satisfies Partial<CallError>);
      const failed = await new Promise<grpc.StatusObject>((resolve) => {
        const stream = (raw.raw as unknown as Record<string, (request: unknown) => grpc.ClientReadableStream<unknown>>)['SubscribeConfiguration']!.call(raw.raw, {
          store_name: 'pgdocs',
          keys: ['a'],
        });
        stream.on('error', () => {});
        stream.on('status', resolve);
      });
      expect(failed.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(failed.details).toContain('failed to subscribe [a] from Configuration store pgdocs');
    } finally {
      raw.raw.close();
    }

    // No app: an HTTP subscription has nowhere to deliver.
    const noApp = await fetch(`${appless.url}/v1.0/configuration/redisconfig/subscribe?key=a`);
    expect(noApp.status).toBe(500);
    expect(await noApp.json()).toEqual({ errorCode: 'ERR_APP_CHANNEL_NIL', message: 'app channel is not initialized. cannot subscribe to configuration updates' });

    // No configuration store at all.
    const none = await fetch(`${empty.url}/v1.0/configuration/redisconfig?key=a`);
    expect(none.status).toBe(500);
    expect(await none.json()).toEqual({ errorCode: 'ERR_CONFIGURATION_STORE_NOT_CONFIGURED', message: 'configuration stores not configured' });
    const rawEmpty = new DaprGrpcClient(empty.grpcPort);
    try {
      await expect(rawEmpty.call('GetConfigurationAlpha1', { store_name: 'redisconfig', keys: [] })).rejects.toMatchObject({
        code: grpc.status.FAILED_PRECONDITION,
      });
    } finally {
      rawEmpty.raw.close();
    }
  });

  it('ends open subscription streams with OK when the sidecar stops, and exits cleanly', async () => {
    const raw = new DaprGrpcClient(appless.grpcPort);
    try {
      const messages: unknown[] = [];
      const stream = (raw.raw as unknown as Record<string, (request: unknown) => grpc.ClientReadableStream<unknown>>)['SubscribeConfiguration']!.call(raw.raw, {
        store_name: 'redisconfig',
        keys: [key('shutdown')],
      });
      const ended = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
      stream.on('data', (message: unknown) => messages.push(message));
      stream.on('error', () => {});
      await waitFor(() => messages[0], 'the first stream message');
      expect(await appless.stop()).toBe(0);
      expect((await ended).code).toBe(grpc.status.OK);
      expect(appless.output()).not.toMatch(/graceful shutdown took too long/);
    } finally {
      raw.raw.close();
    }
  });
});
