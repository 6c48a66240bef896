import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresBinding } from '../src/postgres-binding.ts';
import { adminClient, closedPort, dropTables, postgresUrl, uniqueTable } from './fixtures/postgres-server.ts';
import { startTcpProxy } from './fixtures/tcp-proxy.ts';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
const empty = new Uint8Array();

describe('PostgresBinding against the real server', () => {
  let binding: PostgresBinding;
  const table = uniqueTable('ops');
  const exec = (sql: string, params?: unknown[] | string) =>
    binding.invoke({ operation: 'exec', data: empty, metadata: { sql, ...(params ? { params: typeof params === 'string' ? params : JSON.stringify(params) } : {}) } });
  const query = async (sql: string, params?: string) => {
    const response = await binding.invoke({ operation: 'query', data: empty, metadata: { sql, ...(params !== undefined ? { params } : {}) } });
    return { response, rows: JSON.parse(text(response.data)) as unknown[][] };
  };

  beforeAll(async () => {
    (await adminClient()).end();
    binding = await PostgresBinding.open({ connectionString: postgresUrl });
    await exec(`CREATE TABLE ${table} (id int PRIMARY KEY, name text, amount numeric(30,10), born date, seen timestamptz, doc jsonb, raw bytea)`);
  });

  afterAll(async () => {
    await binding?.close();
    await dropTables(table);
  });

  it("answers exec with Dapr's metadata: operation, sql, rows-affected, RFC 3339 times and a Go duration", async () => {
    const sql = `INSERT INTO ${table} (id, name) VALUES ($1, $2), ($3, $4)`;
    const response = await exec(sql, [1, 'one', 2, 'two']);
    expect(response.data).toHaveLength(0);
    expect(response.metadata).toMatchObject({ operation: 'exec', sql, 'rows-affected': '2' });
    const rfc3339Nano = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
    expect(response.metadata['start-time']).toMatch(rfc3339Nano);
    expect(response.metadata['end-time']).toMatch(rfc3339Nano);
    expect(response.metadata['duration']).toMatch(/^(\d+(\.\d+)?(ns|µs|ms|s)|\d+m\d+(\.\d+)?s)$/);
    expect(Date.parse(response.metadata['end-time']!)).toBeGreaterThanOrEqual(Date.parse(response.metadata['start-time']!));
    // DDL reports no count: 0, as pgx does.
    const scratch = uniqueTable('ddl');
    expect((await exec(`CREATE TABLE ${scratch} (x int)`)).metadata['rows-affected']).toBe('0');
    expect((await exec(`UPDATE ${table} SET name = name WHERE id < 0`)).metadata['rows-affected']).toBe('0');
    await exec(`DROP TABLE ${scratch}`);
  });

  it('answers query with rows as a JSON array of arrays in column order, and [] for no rows', async () => {
    const { response, rows } = await query(`SELECT name, id FROM ${table} WHERE id IN (1, 2) ORDER BY id`);
    expect(rows).toEqual([
      ['one', 1],
      ['two', 2],
    ]);
    expect(response.contentType).toBe('application/json');
    expect(response.metadata).toMatchObject({ operation: 'query' });
    expect(response.metadata['rows-affected']).toBeUndefined();
    expect(text((await query(`SELECT * FROM ${table} WHERE id < 0`)).response.data)).toBe('[]');
  });

  it('binds params as values, never as SQL: an injection attempt is stored as text and the table survives', async () => {
    const attack = `x'); DROP TABLE ${table}; --`;
    await exec(`INSERT INTO ${table} (id, name) VALUES ($1, $2)`, [3, attack]);
    const { rows } = await query(`SELECT name FROM ${table} WHERE name = $1`, JSON.stringify([attack]));
    expect(rows).toEqual([[attack]]);
    // A param cannot end the statement either: it is one value of the comparison.
    expect((await query(`SELECT id FROM ${table} WHERE name = $1`, JSON.stringify(['one OR 1=1']))).rows).toEqual([]);
    expect((await query(`SELECT count(*) FROM ${table}`)).rows[0]![0]).toBeGreaterThanOrEqual(3);
  });

  it('round-trips unicode, NULLs, numeric, dates, timestamps, JSON and bytes as Dapr writes them', async () => {
    const name = 'Grüße, 世界 ✓ 😀 "quoted" \\ back';
    // Written as JSON text so the 30-digit number reaches the binding exactly.
    await exec(
      `INSERT INTO ${table} (id, name, amount, born, seen, doc, raw) VALUES ($1, $2, $3, $4, $5, $6, decode($7, 'hex'))`,
      `[10, ${JSON.stringify(name)}, 12345678901234567890.0123456789, "2024-02-29", "2024-02-29T13:14:15.123456+05:30", {"b": [1, "two", null], "a": {"nested": true}}, "00ff10"]`,
    );
    await exec(`INSERT INTO ${table} (id) VALUES ($1)`, [11]);
    const { rows } = await query(`SELECT id, name, amount, born, seen, doc, raw FROM ${table} WHERE id IN (10, 11) ORDER BY id`);
    expect(rows[0]).toEqual([10, name, expect.any(Number), '2024-02-29T00:00:00Z', '2024-02-29T07:44:15.123456Z', { b: [1, 'two', null], a: { nested: true } }, 'AP8Q']);
    expect(rows[1]).toEqual([11, null, null, null, null, null, null]);
    // The params' number text and the numeric column keep every digit: compare the raw JSON.
    const raw = text((await binding.invoke({ operation: 'query', data: empty, metadata: { sql: `SELECT amount FROM ${table} WHERE id = 10` } })).data);
    expect(raw).toBe('[[12345678901234567890.0123456789]]');
  });

  it('writes the column types as pgx decodes them: exact int8, floats, booleans, arrays, uuid and interval as text', async () => {
    const response = await binding.invoke({
      operation: 'query',
      data: empty,
      metadata: {
        sql: `SELECT 9223372036854775807::int8, (-32768)::int2, 1.1::float4, 2.5e-7::float8, 'NaN'::float8, true, false,
                     ARRAY[1, NULL, 3], ARRAY['a b', 'NULL', NULL, '"q"'], ARRAY[[1,2],[3,4]], 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid,
                     '1 day 02:03:04'::interval, '2024-01-02 03:04:05'::timestamp, 'infinity'::date, '12:30:00'::time, '{"k": "v"}'::json`,
      },
    });
    expect(text(response.data)).toBe(
      '[[9223372036854775807,-32768,1.1,2.5e-7,"NaN",true,false,[1,null,3],["a b","NULL",null,"\\"q\\""],[[1,2],[3,4]],"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","1 day 02:03:04","2024-01-02T03:04:05Z","infinity","12:30:00",{"k":"v"}]]',
    );
  });

  it('takes big integers, null, arrays and objects as params', async () => {
    const { rows } = await query('SELECT $1::int8 + 0, $2::text IS NULL, $3::int[], $4::jsonb', '[9223372036854775806, null, [4, 5], {"k": [1]}]');
    expect(rows).toEqual([[expect.any(Number), true, [4, 5], { k: [1] }]]);
    expect(text((await binding.invoke({ operation: 'query', data: empty, metadata: { sql: 'SELECT $1::int8', params: '[9223372036854775806]' } })).data)).toBe(
      '[[9223372036854775806]]',
    );
  });

  it('runs several statements without params: exec counts the last, query returns the first', async () => {
    const scratch = uniqueTable('multi');
    const response = await exec(`CREATE TABLE ${scratch} (x int); INSERT INTO ${scratch} VALUES (1), (2), (3); UPDATE ${scratch} SET x = x + 1 WHERE x > 1`);
    expect(response.metadata['rows-affected']).toBe('2');
    expect((await query(`SELECT x FROM ${scratch} ORDER BY x; SELECT 0`)).rows).toEqual([[1], [3], [4]]);
    await exec(`DROP TABLE ${scratch}`);
  });

  it('refuses missing sql and malformed params naming the field, and reports SQL errors with their SQLSTATE', async () => {
    await expect(binding.invoke({ operation: 'exec', data: empty, metadata: {} })).rejects.toThrow("required metadata 'sql' is not set");
    await expect(binding.invoke({ operation: 'query', data: empty, metadata: { sql: 'SELECT $1', params: '{"a":1}' } })).rejects.toThrow(
      "invalid metadata 'params': expected a JSON array",
    );
    await expect(binding.invoke({ operation: 'query', data: empty, metadata: { sql: 'SELECT $1', params: '[1,' } })).rejects.toThrow(
      "invalid metadata 'params': not valid JSON",
    );
    await expect(exec(`INSERT INTO ${table} (id) VALUES ($1)`, [1])).rejects.toThrow(
      /^error executing the statement: ERROR: duplicate key value violates unique constraint "\w+" \(SQLSTATE 23505\): Key \(id\)=\(1\) already exists\.$/,
    );
    await expect(exec('SELEC 1')).rejects.toThrow(/^error executing the statement: ERROR: syntax error at or near "SELEC" at character 1 \(SQLSTATE 42601\)$/);
    await expect(query('SELECT $1::int', '["not a number"]')).rejects.toThrow(/invalid input syntax for type integer.*\(SQLSTATE 22P02\)/);
    await expect(binding.invoke({ operation: 'get', data: empty, metadata: { sql: 'SELECT 1' } })).rejects.toThrow("unsupported operation 'get'");
  });

  it('serves concurrent calls through a small pool', async () => {
    const small = await PostgresBinding.open({ connectionString: postgresUrl, maxConns: 2 });
    try {
      const ids = Array.from({ length: 40 }, (_, i) => 1000 + i);
      const results = await Promise.all(
        ids.map((id) => small.invoke({ operation: 'exec', data: empty, metadata: { sql: `INSERT INTO ${table} (id, name) VALUES ($1, $2)`, params: JSON.stringify([id, `n${id}`]) } })),
      );
      expect(results.every((r) => r.metadata['rows-affected'] === '1')).toBe(true);
      const { rows } = await query(`SELECT count(*) FROM ${table} WHERE id >= 1000 AND id < 1040`);
      expect(rows).toEqual([[40]]);
    } finally {
      await small.close();
    }
  });

  it('closes on the close operation: exec and query are refused after it, close again succeeds', async () => {
    const own = await PostgresBinding.open({ connectionString: postgresUrl });
    const closed = await own.invoke({ operation: 'close', data: empty, metadata: {} });
    expect(closed.data).toHaveLength(0);
    expect(closed.metadata).toEqual({});
    await expect(own.invoke({ operation: 'query', data: empty, metadata: { sql: 'SELECT 1' } })).rejects.toThrow('the binding is closed');
    await expect(own.invoke({ operation: 'close', data: empty, metadata: {} })).resolves.toBeDefined();
    await own.close();
  });
});

describe('PostgresBinding connecting', () => {
  const url = new URL(postgresUrl);
  const password = decodeURIComponent(url.password);

  it('accepts the keyword=value form and lets the fields override its parts', async () => {
    const dsn = `host=${url.hostname} port=${url.port || 5432} user=${decodeURIComponent(url.username)} password='wrong password' dbname=${url.pathname.slice(1) || 'postgres'} application_name=mecha-test`;
    const binding = await PostgresBinding.open({ connectionString: dsn, password });
    try {
      const response = await binding.invoke({ operation: 'query', data: empty, metadata: { sql: "SELECT current_setting('application_name')" } });
      expect(JSON.parse(text(response.data))).toEqual([['mecha-test']]);
    } finally {
      await binding.close();
    }
  });

  it('sends other keywords as PostgreSQL settings, as pgx does', async () => {
    const binding = await PostgresBinding.open({ connectionString: `${postgresUrl}${url.search ? '&' : '?'}search_path=pg_catalog&statement_timeout=1234` });
    try {
      const response = await binding.invoke({ operation: 'query', data: empty, metadata: { sql: "SELECT current_setting('search_path'), current_setting('statement_timeout')" } });
      expect(JSON.parse(text(response.data))).toEqual([['pg_catalog', '1234ms']]);
    } finally {
      await binding.close();
    }
    await expect(PostgresBinding.open({ connectionString: `${postgresUrl}${url.search ? '&' : '?'}no_such_setting=1` })).rejects.toThrow(
      /unrecognized configuration parameter "no_such_setting"/,
    );
  });

  it('fails a wrong password without showing any password', async () => {
    const secret = 'Sup3r-Secret-Pa55';
    const error = await PostgresBinding.open({ connectionString: postgresUrl, password: secret }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/^cannot connect to PostgreSQL at 127\.0\.0\.1:5432: .*password authentication failed/);
    expect(error?.message).not.toContain(secret);
  });

  it('fails an unreachable server naming the address, within the timeout', async () => {
    const port = await closedPort();
    await expect(PostgresBinding.open({ host: '127.0.0.1', port: String(port), user: 'postgres', password: 'pw', timeoutMs: 2000 })).rejects.toThrow(
      `cannot connect to PostgreSQL at 127.0.0.1:${port}`,
    );
  });

  it('reports a server that went away as unavailable, naming it, and works again once it is back', async () => {
    const proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
    const binding = await PostgresBinding.open({ connectionString: postgresUrl, host: '127.0.0.1', port: String(proxy.port), timeoutMs: 2000 });
    const select = () => binding.invoke({ operation: 'query', data: empty, metadata: { sql: 'SELECT 42' } });
    try {
      expect(text((await select()).data)).toBe('[[42]]');
      await proxy.down();
      await expect(select()).rejects.toThrow(`PostgreSQL at 127.0.0.1:${proxy.port} is unavailable`);
      await proxy.up();
      let answer: string | undefined;
      for (let attempt = 0; attempt < 50 && answer === undefined; attempt++) {
        answer = await select().then(
          (response) => text(response.data),
          () => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100)),
        );
      }
      expect(answer).toBe('[[42]]');
    } finally {
      await binding.close();
      await proxy.close();
    }
  });
});
