import { describe, expect, it } from 'vitest';
import { connectionFromInput, parseConnectionString } from '../src/index.ts';

describe('PostgreSQL connection settings', () => {
  it('reads keyword=value strings as pgx does, quotes and escapes included', () => {
    const settings = parseConnectionString(`host=db.example user=app password='p a\\'ss' port=6432 dbname=orders connect_timeout=3`);
    expect(Object.fromEntries(settings)).toEqual({ host: 'db.example', user: 'app', password: "p a'ss", port: '6432', database: 'orders', connect_timeout: '3' });
    const { config, address } = connectionFromInput({ connectionString: `host=db.example user=app password='p a\\'ss' port=6432 dbname=orders connect_timeout=3` });
    expect(address).toBe('db.example:6432');
    expect(config).toMatchObject({ host: 'db.example', port: 6432, user: 'app', password: "p a'ss", database: 'orders', connectionTimeoutMillis: 3000, ssl: false });
  });

  it('reads postgres:// URLs with escaped credentials and query keywords', () => {
    const { config, ignored } = connectionFromInput({ connectionString: 'postgresql://us%40er:p%2Fw@[::1]:5433/my%20db?sslmode=require&application_name=mecha&mystery=1' });
    expect(config).toMatchObject({ host: '::1', port: 5433, user: 'us@er', password: 'p/w', database: 'my db', application_name: 'mecha', ssl: { rejectUnauthorized: false } });
    expect(ignored).toEqual(['mystery']);
  });

  it('builds the connection from separate fields when there is no connection string; hostaddr wins', () => {
    const { config, address } = connectionFromInput({ host: 'name', hostaddr: '10.0.0.1', port: '7000', user: 'u', password: 'p', database: 'd' });
    expect(address).toBe('10.0.0.1:7000');
    expect(config).toMatchObject({ host: '10.0.0.1', port: 7000, user: 'u', password: 'p', database: 'd' });
  });

  it('refuses what it cannot read', () => {
    expect(() => connectionFromInput({})).toThrow(/missing connection information/);
    expect(() => parseConnectionString('host')).toThrow(/expected keyword=value/);
    expect(() => parseConnectionString("password='open")).toThrow(/unterminated/);
    expect(() => connectionFromInput({ connectionString: 'host=x port=99999' })).toThrow(/invalid port/);
    expect(() => connectionFromInput({ connectionString: 'host=x sslmode=sometimes' })).toThrow(/invalid sslmode/);
    expect(() => connectionFromInput({ connectionString: 'host=x connect_timeout=soon' })).toThrow(/connect_timeout/);
  });
});
