import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMechad, type MechadProcess } from './support/mechad-process.ts';

/**
 * The secrets API through a real mechad: local file and env stores, secret scopes from a
 * Configuration, `secretKeyRef` in another component's file, and the official SDK over HTTP
 * and gRPC. The denied secret's value must never show up in an answer or a log line.
 */
const DENIED_VALUE = 'never-show-this-9f3c';
const dir = mkdtempSync(path.join(tmpdir(), 'mecha-secrets-'));
const secretsFile = path.join(dir, 'secrets.json');
const postgresAddress = process.env['MECHA_TEST_POSTGRESQL'] || '127.0.0.1:5432';
const [pgHost, pgPort] = postgresAddress.split(':') as [string, string];
const pgConnection = `host=${pgHost} port=${pgPort} user=postgres password=postgres database=postgres connect_timeout=10`;
writeFileSync(
  secretsFile,
  JSON.stringify({
    db: { connection: pgConnection, user: 'postgres' },
    api: { key: 'k3y-✓' },
    admin: { token: DENIED_VALUE },
  }),
);

const resources: Record<string, string> = {
  'secrets.yaml': `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: localsecretstore
spec:
  type: secretstores.local.file
  version: v1
  metadata:
    - name: secretsFile
      value: ${secretsFile}
    - name: nestedSeparator
      value: ":"
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: envsecrets
spec:
  type: secretstores.local.env
  version: v1
  metadata:
    - name: prefix
      value: MECHA_SECRETS_TEST_
`,
  // A Dapr user's component file whose password comes from the secret store.
  'statestore.yaml': `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pgstore
spec:
  type: state.postgresql
  version: v1
  metadata:
    - name: connectionString
      secretKeyRef:
        name: "db:connection"
    - name: tableName
      value: secrets_ref_${process.pid}
auth:
  secretStore: localsecretstore
`,
};

const configuration = `apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: secretsconfig
spec:
  secrets:
    scopes:
      - storeName: localsecretstore
        defaultAccess: allow
        deniedSecrets: ["admin:token"]
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

describe('secrets API through mechad', () => {
  let sidecar: MechadProcess;

  beforeAll(async () => {
    if (!(await reachable(postgresAddress))) {
      throw new Error(`PostgreSQL is not reachable at ${postgresAddress}: start it with bash tooling/services/up.sh postgresql`);
    }
    const configFile = path.join(dir, 'config.yaml');
    writeFileSync(configFile, configuration);
    sidecar = await startMechad({
      appId: 'secrets-app',
      resources,
      args: ['--config', configFile, '--log-level', 'debug', '--enable-api-logging'],
      env: { MECHA_SECRETS_TEST_TOKEN: 'env-t0ken', DAPR_SECRETS_TEST: 'sidecar-own' },
    });
  });

  afterAll(async () => {
    await sidecar?.stop();
  });

  const get = async (pathname: string) => {
    const response = await fetch(`${sidecar.url}${pathname}`);
    const text = await response.text();
    return { status: response.status, text, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };

  it('reads a single secret and all allowed secrets over HTTP', async () => {
    expect(await get('/v1.0/secrets/localsecretstore/db:user')).toMatchObject({ status: 200, body: { 'db:user': 'postgres' } });
    expect(await get('/v1.0/secrets/envsecrets/TOKEN')).toMatchObject({ status: 200, body: { TOKEN: 'env-t0ken' } });
    const bulk = await get('/v1.0/secrets/localsecretstore/bulk');
    expect(bulk.status).toBe(200);
    expect(bulk.body).toEqual({
      'db:connection': { 'db:connection': pgConnection },
      'db:user': { 'db:user': 'postgres' },
      'api:key': { 'api:key': 'k3y-✓' },
    });
  });

  it('answers a denied secret with 403 ERR_PERMISSION_DENIED, and the value appears nowhere', async () => {
    const denied = await get('/v1.0/secrets/localsecretstore/admin:token');
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ errorCode: 'ERR_PERMISSION_DENIED', message: 'access denied by policy to get "admin:token" from "localsecretstore"' });
    expect(denied.text).not.toContain(DENIED_VALUE);
    expect((await get('/v1.0/secrets/localsecretstore/bulk')).text).not.toContain(DENIED_VALUE);
    // Logged at debug level with API logging on: still not there.
    expect(sidecar.output()).toContain('admin:token');
    expect(sidecar.output()).not.toContain(DENIED_VALUE);
  });

  it("answers Dapr's errors for unknown stores and missing secrets, and never serves the sidecar's own variables", async () => {
    expect(await get('/v1.0/secrets/nostore/x')).toMatchObject({
      status: 401,
      body: { errorCode: 'ERR_SECRET_STORE_NOT_FOUND', message: 'failed finding secret store with key nostore' },
    });
    expect(await get('/v1.0/secrets/localsecretstore/nope')).toMatchObject({
      status: 500,
      body: { errorCode: 'ERR_SECRET_GET', message: 'failed getting secret with key nope from secret store localsecretstore: secret nope not found' },
    });
    expect(await get('/v1.0/secrets/envsecrets/bulk')).toMatchObject({ status: 200, body: { TOKEN: { TOKEN: 'env-t0ken' } } });
    expect((await get('/v1.0/secrets/envsecrets/bulk')).text).not.toContain('sidecar-own');
  });

  it('a component whose password comes from secretKeyRef works', async () => {
    const saved = await fetch(`${sidecar.url}/v1.0/state/pgstore`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ key: 'k', value: { via: 'secretKeyRef' } }]),
    });
    expect(saved.status).toBe(204);
    expect(await get('/v1.0/state/pgstore/k')).toMatchObject({ status: 200, body: { via: 'secretKeyRef' } });
  });

  for (const protocol of ['HTTP', 'gRPC'] as const) {
    it(`@dapr/dapr over ${protocol}: single and bulk reads, and the refusal`, async () => {
      const client = new DaprClient({
        daprHost: '127.0.0.1',
        daprPort: String(protocol === 'HTTP' ? sidecar.httpPort : sidecar.grpcPort),
        communicationProtocol: protocol === 'HTTP' ? CommunicationProtocolEnum.HTTP : CommunicationProtocolEnum.GRPC,
        logger: { level: LogLevel.Error },
      });
      try {
        expect(await client.secret.get('localsecretstore', 'api:key')).toEqual({ 'api:key': 'k3y-✓' });
        const bulk = (await client.secret.getBulk('localsecretstore')) as Record<string, Record<string, string>>;
        expect(bulk['db:user']).toEqual({ 'db:user': 'postgres' });
        expect(bulk).not.toHaveProperty(['admin:token']);
        const refusal = await client.secret.get('localsecretstore', 'admin:token').then(
          () => new Error('no refusal'),
          (error: unknown) => error as Error,
        );
        expect(String(refusal.message)).toMatch(/access denied by policy|ERR_PERMISSION_DENIED|PERMISSION_DENIED|403/);
        expect(String(refusal.message)).not.toContain(DENIED_VALUE);
      } finally {
        await client.stop();
      }
    });
  }
});

describe('secretKeyRef failures stop mechad at start, naming the reference and not the value', () => {
  it('a key the secret does not have', async () => {
    const sidecar = await startMechad({
      appId: 'secrets-bad-ref',
      resources: {
        'secrets.yaml': resources['secrets.yaml']!,
        'broken.yaml': `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: broken
spec:
  type: state.in-memory
  version: v1
  metadata:
    - name: anything
      secretKeyRef:
        name: "admin:token"
        key: nokey
auth:
  secretStore: localsecretstore
`,
      },
      waitFor: 'exit',
    });
    expect(await sidecar.exited).toBe(1);
    expect(sidecar.output()).toContain('secret admin:token in secret store localsecretstore has no key nokey');
    expect(sidecar.output()).not.toContain(DENIED_VALUE);
  });
});
