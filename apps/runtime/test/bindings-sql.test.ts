import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMechad, tempDir, type MechadProcess } from './support/mechad-process.ts';

/**
 * bindings.postgresql and bindings.mysql through a real mechad, called by @dapr/dapr over HTTP
 * and gRPC: exec with params, query answering Dapr's row shapes, the response metadata as
 * `metadata.*` headers, SQL errors as ERR_INVOKE_OUTPUT_BINDING, and a password that comes from
 * a secret store through `secretKeyRef`. Servers: `bash tooling/services/up.sh postgresql mariadb`.
 */

const postgresUrl = new URL(process.env.MECHA_TEST_POSTGRES || 'postgres://postgres:postgres@127.0.0.1:5432/postgres');
const mysqlDsn = process.env.MECHA_TEST_MYSQL || 'root:root@tcp(127.0.0.1:3306)/mecha';
const table = `mecha_e2e_${randomUUID().replaceAll('-', '').slice(0, 12)}`;

const secretsFile = path.join(tempDir('mecha-sql-secrets-'), 'secrets.json');
writeFileSync(secretsFile, JSON.stringify({ pg: { password: decodeURIComponent(postgresUrl.password) } }));

// The PostgreSQL password is not in the connection string: it comes from the secret store.
const resources = {
  'secrets.yaml': `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: localsecrets
spec:
  type: secretstores.local.file
  version: v1
  metadata:
    - name: secretsFile
      value: "${secretsFile}"
    - name: nestedSeparator
      value: "."
`,
  'pg.yaml': `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pg
spec:
  type: bindings.postgresql
  version: v1
  metadata:
    - name: connectionString
      value: "host=${postgresUrl.hostname} port=${postgresUrl.port || 5432} user=${decodeURIComponent(postgresUrl.username)} dbname=${postgresUrl.pathname.slice(1) || 'postgres'} sslmode=disable"
    - name: password
      secretKeyRef:
        name: pg.password
        key: pg.password
auth:
  secretStore: localsecrets
`,
  'mysql.yaml': `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: mysql
spec:
  type: bindings.mysql
  version: v1
  metadata:
    - name: url
      value: "${mysqlDsn}"
    - name: maxOpenConns
      value: "4"
`,
};

let sidecar: MechadProcess;

beforeAll(async () => {
  sidecar = await startMechad({ appId: 'bindings-sql', resources });
});

afterAll(async () => {
  const drop = (name: string) => fetch(`${sidecar.url}/v1.0/bindings/${name}`, { method: 'POST', body: JSON.stringify({ operation: 'exec', metadata: { sql: `DROP TABLE IF EXISTS ${table}` } }) });
  if (sidecar) await Promise.allSettled([drop('pg'), drop('mysql')]);
  await sidecar?.stop();
});

const client = (protocol: 'HTTP' | 'gRPC') =>
  new DaprClient({
    daprHost: '127.0.0.1',
    daprPort: String(protocol === 'HTTP' ? sidecar.httpPort : sidecar.grpcPort),
    communicationProtocol: protocol === 'HTTP' ? CommunicationProtocolEnum.HTTP : CommunicationProtocolEnum.GRPC,
    logger: { level: LogLevel.Error },
  });

const invoke = (name: string, body: unknown) =>
  fetch(`${sidecar.url}/v1.0/bindings/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe.each([
  { name: 'pg', create: `CREATE TABLE ${table} (id int PRIMARY KEY, label text, amount numeric(12,2))`, insert: `INSERT INTO ${table} (id, label, amount) VALUES ($1, $2, $3)`, select: `SELECT id, label, amount FROM ${table} WHERE id = $1` },
  { name: 'mysql', create: `CREATE TABLE ${table} (id int PRIMARY KEY, label varchar(100) CHARACTER SET utf8mb4, amount decimal(12,2))`, insert: `INSERT INTO ${table} (id, label, amount) VALUES (?, ?, ?)`, select: `SELECT id, label, amount FROM ${table} WHERE id = ?` },
])('bindings.$name through mechad', ({ name, create, insert, select }) => {
  const expectedRow = (id: number, label: string) => (name === 'pg' ? [[id, label, 12.5]] : [{ amount: '12.50', id, label }]);

  it('creates, inserts with params and reads back over HTTP, with the metadata as headers', async () => {
    const created = await invoke(name, { operation: 'exec', metadata: { sql: create } });
    expect(created.status).toBe(204);
    expect(created.headers.get('metadata.operation')).toBe('exec');
    expect(created.headers.get('metadata.rows-affected')).toBe('0');
    expect(created.headers.get('metadata.duration')).toMatch(/^\d/);

    const dapr = client('HTTP');
    try {
      await dapr.binding.send(name, 'exec', undefined, { sql: insert, params: JSON.stringify([1, 'Grüße ✓', 12.5]) });
      expect(await dapr.binding.send(name, 'query', undefined, { sql: select, params: '[1]' })).toEqual(expectedRow(1, 'Grüße ✓'));
    } finally {
      await dapr.stop();
    }
    const read = await invoke(name, { operation: 'query', metadata: { sql: select, params: '[1]' } });
    expect(read.status).toBe(200);
    expect(read.headers.get('content-type')).toBe('application/json');
    expect(read.headers.get('metadata.sql')).toBe(select);
    expect(read.headers.get('metadata.start-time')).toMatch(/Z$/);
    expect(await read.json()).toEqual(expectedRow(1, 'Grüße ✓'));
  });

  it('inserts and reads over gRPC, getting the response metadata', async () => {
    const dapr = client('gRPC');
    try {
      const inserted = (await dapr.binding.send(name, 'exec', undefined, { sql: insert, params: JSON.stringify([2, "it's; DROP TABLE x", 12.5]) })) as { metadata: Record<string, string> };
      expect(inserted.metadata).toMatchObject({ operation: 'exec', 'rows-affected': '1' });
      const read = (await dapr.binding.send(name, 'query', undefined, { sql: select, params: '[2]' })) as { data: Uint8Array; metadata: Record<string, string> };
      expect(JSON.parse(Buffer.from(read.data).toString())).toEqual(expectedRow(2, "it's; DROP TABLE x"));
      expect(read.metadata).toMatchObject({ operation: 'query', sql: select });
    } finally {
      await dapr.stop();
    }
  });

  it('answers a failing statement with ERR_INVOKE_OUTPUT_BINDING and the database reason', async () => {
    const failed = await invoke(name, { operation: 'exec', metadata: { sql: insert, params: JSON.stringify([1, 'again', 1]) } });
    expect(failed.status).toBe(500);
    const body = (await failed.json()) as { errorCode: string; message: string };
    expect(body.errorCode).toBe('ERR_INVOKE_OUTPUT_BINDING');
    expect(body.message).toMatch(new RegExp(`^error invoking output binding ${name}: error executing the statement: .*(duplicate key|Duplicate entry)`));
    const noSql = await invoke(name, { operation: 'query', metadata: {} });
    expect(await noSql.json()).toEqual({ errorCode: 'ERR_INVOKE_OUTPUT_BINDING', message: `error invoking output binding ${name}: required metadata 'sql' is not set: it holds the statement to run` });
  });
});
