import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MysqlBinding } from '../src/mysql-binding.ts';
import { adminConnection, closedPort, dropTables, dsnWith, mysqlAddress, mysqlDsn, mysqlPassword, uniqueTable } from './fixtures/mysql-server.ts';
import { startTcpProxy } from './fixtures/tcp-proxy.ts';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
const empty = new Uint8Array();
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function caller(binding: MysqlBinding) {
  const call = (operation: string, sql: string, params?: unknown[] | string) =>
    binding.invoke({ operation, data: empty, metadata: { sql, ...(params !== undefined ? { params: typeof params === 'string' ? params : JSON.stringify(params) } : {}) } });
  return {
    exec: (sql: string, params?: unknown[] | string) => call('exec', sql, params),
    query: async (sql: string, params?: unknown[] | string) => {
      const response = await call('query', sql, params);
      return { response, rows: JSON.parse(text(response.data)) as Record<string, unknown>[] | null };
    },
  };
}

describe('MysqlBinding against the real server', () => {
  let binding: MysqlBinding;
  let exec: ReturnType<typeof caller>['exec'];
  let query: ReturnType<typeof caller>['query'];
  const table = uniqueTable('ops');

  beforeAll(async () => {
    await (await adminConnection()).end();
    binding = await MysqlBinding.open({ url: mysqlDsn });
    ({ exec, query } = caller(binding));
    await exec(
      `CREATE TABLE ${table} (id int PRIMARY KEY, name varchar(200) CHARACTER SET utf8mb4, amount decimal(30,10), big bigint, ratio float, score double,
        born date, seen datetime(6), stamp timestamp NULL, at_time time, flag boolean, kind enum('a','b'), raw varbinary(16), doc json) DEFAULT CHARSET=utf8mb4`,
    );
  });

  afterAll(async () => {
    await binding?.close();
    await dropTables(table);
  });

  it("answers exec with Dapr's metadata, counting changed rows as Go's driver does", async () => {
    const sql = `INSERT INTO ${table} (id, name) VALUES (?, ?), (?, ?)`;
    const response = await exec(sql, [1, 'one', 2, 'two']);
    expect(response.data).toHaveLength(0);
    expect(response.metadata).toMatchObject({ operation: 'exec', sql, 'rows-affected': '2' });
    const rfc3339Nano = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
    expect(response.metadata['start-time']).toMatch(rfc3339Nano);
    expect(response.metadata['end-time']).toMatch(rfc3339Nano);
    expect(response.metadata['duration']).toMatch(/^(\d+(\.\d+)?(ns|µs|ms|s)|\d+m\d+(\.\d+)?s)$/);
    // An UPDATE that matches a row but changes nothing affects 0 rows (clientFoundRows is off by default).
    expect((await exec(`UPDATE ${table} SET name = 'one' WHERE id = 1`)).metadata['rows-affected']).toBe('0');
    expect((await exec(`UPDATE ${table} SET name = 'uno' WHERE id = 1`)).metadata['rows-affected']).toBe('1');
    const found = await MysqlBinding.open({ url: dsnWith('clientFoundRows=true') });
    try {
      expect((await caller(found).exec(`UPDATE ${table} SET name = 'uno' WHERE id = 1`)).metadata['rows-affected']).toBe('1');
    } finally {
      await found.close();
    }
  });

  it('answers query with one object per row (keys sorted, as Go writes a map), and null for no rows', async () => {
    const { response, rows } = await query(`SELECT name, id FROM ${table} WHERE id IN (1, 2) ORDER BY id`);
    expect(text(response.data)).toBe('[{"id":1,"name":"uno"},{"id":2,"name":"two"}]');
    expect(rows).toEqual([
      { id: 1, name: 'uno' },
      { id: 2, name: 'two' },
    ]);
    expect(response.contentType).toBe('application/json');
    expect(response.metadata).toMatchObject({ operation: 'query' });
    expect(text((await query(`SELECT * FROM ${table} WHERE id < 0`)).response.data)).toBe('null');
  });

  it('binds params as values, never as SQL, with prepared statements and with interpolateParams', async () => {
    const attack = `x'); DROP TABLE ${table}; -- \\' "`;
    await exec(`INSERT INTO ${table} (id, name) VALUES (?, ?)`, [3, attack]);
    expect((await query(`SELECT name FROM ${table} WHERE name = ?`, [attack])).rows).toEqual([{ name: attack }]);
    expect((await query(`SELECT id FROM ${table} WHERE name = ?`, ["uno' OR '1'='1"])).rows).toBeNull();
    const interpolating = await MysqlBinding.open({ url: dsnWith('interpolateParams=true') });
    try {
      const other = caller(interpolating);
      await other.exec(`INSERT INTO ${table} (id, name) VALUES (?, ?)`, [4, attack]);
      expect((await other.query(`SELECT id FROM ${table} WHERE name = ? ORDER BY id`, [attack])).rows).toEqual([{ id: 3 }, { id: 4 }]);
      expect((await other.query(`SELECT id FROM ${table} WHERE name = ?`, ["uno' OR '1'='1"])).rows).toBeNull();
    } finally {
      await interpolating.close();
    }
    expect((await query(`SELECT count(*) AS n FROM ${table}`)).rows![0]!['n']).toBeGreaterThanOrEqual(4);
  });

  it('round-trips unicode, NULLs, decimals, big integers, floats, dates, times, enums and bytes as Dapr writes them', async () => {
    const name = 'Grüße, 世界 ✓ 😀 "quoted" \\ back';
    await exec(
      `INSERT INTO ${table} (id, name, amount, big, ratio, score, born, seen, stamp, at_time, flag, kind, raw, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UNHEX(?), ?)`,
      `[10, ${JSON.stringify(name)}, "12345678901234567890.0123456789", 9223372036854775807, 1.1, 2.5e-7, "2024-02-29", "2024-02-29 13:14:15.123450", "2024-02-29 13:14:15", "12:30:00", true, "b", "00ff10", {"b": [1, 12345678901234567890], "a": null}]`,
    );
    await exec(`INSERT INTO ${table} (id) VALUES (?)`, [11]);
    const { response } = await query(`SELECT * FROM ${table} WHERE id IN (10, 11) ORDER BY id`);
    const [full, nulls] = JSON.parse(text(response.data)) as Record<string, unknown>[];
    expect(full).toEqual({
      id: 10,
      name,
      amount: '12345678901234567890.0123456789',
      big: expect.any(Number),
      ratio: 1.1,
      score: 2.5e-7,
      born: '2024-02-29T00:00:00Z',
      seen: '2024-02-29T13:14:15.12345Z',
      stamp: '2024-02-29T13:14:15Z',
      at_time: '12:30:00',
      flag: 1,
      kind: 'b',
      raw: 'AP8Q',
      // MariaDB's JSON is LONGTEXT: text, as Go's driver reads it there.
      // The object param arrived as compact JSON text, its big number digit for digit.
      doc: '{"b":[1,12345678901234567890],"a":null}',
    });
    expect(text(response.data)).toContain('"big":9223372036854775807,');
    // NULL in a number, text or time column leaves the key out; in a binary column it is null.
    expect(nulls).toEqual({ id: 11, raw: null });
  });

  it('takes big integers, null, booleans and objects as params', async () => {
    const { response } = await query('SELECT ? + 0 AS big, ? IS NULL AS isnull, ? AS yes, ? AS doc', '[9223372036854775806, null, true, {"k": [1.50]}]');
    expect(JSON.parse(text(response.data))).toEqual([{ big: expect.anything(), isnull: 1, yes: 1, doc: '{"k":[1.50]}' }]);
  });

  it('runs several statements with multiStatements: exec counts the last, query returns the first', async () => {
    const multi = await MysqlBinding.open({ url: dsnWith('multiStatements=true') });
    const scratch = uniqueTable('multi');
    try {
      const { exec: execMulti, query: queryMulti } = caller(multi);
      const response = await execMulti(`CREATE TABLE ${scratch} (x int); INSERT INTO ${scratch} VALUES (1), (2), (3); UPDATE ${scratch} SET x = x + 1 WHERE x > 1`);
      expect(response.metadata['rows-affected']).toBe('2');
      expect((await queryMulti(`SELECT x FROM ${scratch} ORDER BY x; SELECT 0 AS x`)).rows).toEqual([{ x: 1 }, { x: 3 }, { x: 4 }]);
    } finally {
      await multi.close();
      await dropTables(scratch);
    }
    // Without it, a second statement is a syntax error rather than a second statement.
    await expect(exec(`SELECT 1; DROP TABLE ${table}`)).rejects.toThrow(/Error 1064 \(42000\)/);
  });

  it("refuses missing sql and malformed params naming the field, and reports SQL errors as Go's driver writes them", async () => {
    await expect(binding.invoke({ operation: 'exec', data: empty, metadata: {} })).rejects.toThrow("required metadata 'sql' is not set");
    await expect(binding.invoke({ operation: 'query', data: empty, metadata: { sql: 'SELECT ?', params: '7' } })).rejects.toThrow(
      "invalid metadata 'params': expected a JSON array such as [1, \"two\"], got a number",
    );
    await expect(binding.invoke({ operation: 'query', data: empty, metadata: { sql: 'SELECT ?', params: '[1,' } })).rejects.toThrow("invalid metadata 'params': not valid JSON");
    await expect(exec(`INSERT INTO ${table} (id) VALUES (?)`, [1])).rejects.toThrow(/^error executing the statement: Error 1062 \(23000\): Duplicate entry '1' for key 'PRIMARY'$/);
    await expect(exec('SELEC 1')).rejects.toThrow(/Error 1064 \(42000\): You have an error in your SQL syntax/);
    await expect(query('SELECT ?, ?', [1])).rejects.toThrow(/error executing the statement/);
    await expect(binding.invoke({ operation: 'get', data: empty, metadata: { sql: 'SELECT 1' } })).rejects.toThrow("unsupported operation 'get'");
  });

  it('serves concurrent calls through a small pool', async () => {
    const small = await MysqlBinding.open({ url: mysqlDsn, maxOpenConns: 2, maxIdleConns: 1 });
    try {
      const ids = Array.from({ length: 40 }, (_, i) => 1000 + i);
      const results = await Promise.all(ids.map((id) => caller(small).exec(`INSERT INTO ${table} (id, name) VALUES (?, ?)`, [id, `n${id}`])));
      expect(results.every((r) => r.metadata['rows-affected'] === '1')).toBe(true);
      expect((await query(`SELECT count(*) AS n FROM ${table} WHERE id >= 1000 AND id < 1040`)).rows).toEqual([{ n: 40 }]);
      const threads = await Promise.all(ids.slice(0, 10).map(() => caller(small).query('SELECT CONNECTION_ID() AS id')));
      expect(new Set(threads.map((t) => t.rows![0]!['id'])).size).toBeLessThanOrEqual(2);
    } finally {
      await small.close();
    }
  });

  it('reuses a connection, and replaces it once older than connMaxLifetime', async () => {
    const reusing = await MysqlBinding.open({ url: mysqlDsn, maxOpenConns: 1 });
    const renewing = await MysqlBinding.open({ url: mysqlDsn, maxOpenConns: 1, connMaxLifetimeMs: 1 });
    try {
      const id = async (b: MysqlBinding) => (await caller(b).query('SELECT CONNECTION_ID() AS id')).rows![0]!['id'];
      const first = await id(reusing);
      await pause(20);
      expect(await id(reusing)).toBe(first);
      const old = await id(renewing);
      await pause(20);
      expect(await id(renewing)).not.toBe(old);
    } finally {
      await reusing.close();
      await renewing.close();
    }
  });

  it('sets unknown DSN parameters as session variables, and keys rows by table with columnsWithAlias', async () => {
    const tuned = await MysqlBinding.open({ url: dsnWith("time_zone=%27%2B05:00%27&sql_mode=%27ANSI_QUOTES%27&columnsWithAlias=true") });
    try {
      const { rows } = await caller(tuned).query(`SELECT @@session.time_zone AS tz, @@session.sql_mode AS mode, t.id FROM ${table} t WHERE t.id = 2`);
      expect(rows).toEqual([{ tz: '+05:00', mode: 'ANSI_QUOTES', 't.id': 2 }]);
    } finally {
      await tuned.close();
    }
    await expect(MysqlBinding.open({ url: dsnWith('no_such_variable=1') })).rejects.toThrow(/Unknown system variable 'no_such_variable'/);
  });

  it('closes on the close operation: exec and query are refused after it, close again succeeds', async () => {
    const own = await MysqlBinding.open({ url: mysqlDsn });
    const closed = await own.invoke({ operation: 'close', data: empty, metadata: {} });
    expect(closed.data).toHaveLength(0);
    expect(closed.metadata).toEqual({});
    await expect(own.invoke({ operation: 'query', data: empty, metadata: { sql: 'SELECT 1' } })).rejects.toThrow('the binding is closed');
    await expect(own.invoke({ operation: 'close', data: empty, metadata: {} })).resolves.toBeDefined();
    await own.close();
  });
});

describe('MysqlBinding connecting', () => {
  it('fails a wrong password without showing it', async () => {
    const secret = 'Sup3r-Secret-Pa55';
    const url = mysqlDsn.replace(/^([^:@]*):[^@]*@/, `$1:${secret}@`);
    const error = await MysqlBinding.open({ url }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(new RegExp(`^cannot connect to MySQL at ${mysqlAddress.replace(/\./g, '\\.')}: Error \\d+ \\(28000\\): Access denied`));
    expect(error?.message).not.toContain(secret);
    if (mysqlPassword.length > 4) expect(error?.message).not.toContain(mysqlPassword);
  });

  it('fails an unreachable server naming the address', async () => {
    const port = await closedPort();
    await expect(MysqlBinding.open({ url: `root:pw@tcp(127.0.0.1:${port})/mecha?timeout=2s` })).rejects.toThrow(`cannot connect to MySQL at 127.0.0.1:${port}`);
  });

  it('reports a server that went away as unavailable, naming it, and works again once it is back', async () => {
    const [host, port] = mysqlAddress.split(':');
    const proxy = await startTcpProxy(host!, Number(port));
    const binding = await MysqlBinding.open({ url: mysqlDsn.replace(/@tcp\([^)]*\)/, `@tcp(127.0.0.1:${proxy.port})`), maxOpenConns: 2 });
    const select = () => binding.invoke({ operation: 'query', data: empty, metadata: { sql: 'SELECT 42 AS n' } });
    try {
      expect(text((await select()).data)).toBe('[{"n":42}]');
      await proxy.down();
      await expect(select()).rejects.toThrow(`MySQL at 127.0.0.1:${proxy.port} is unavailable`);
      await proxy.up();
      let answer: string | undefined;
      for (let attempt = 0; attempt < 50 && answer === undefined; attempt++) {
        answer = await select().then(
          (response) => text(response.data),
          () => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100)),
        );
      }
      expect(answer).toBe('[{"n":42}]');
    } finally {
      await binding.close();
      await proxy.close();
    }
  });
});
