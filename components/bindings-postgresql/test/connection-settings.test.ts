import { describe, expect, it } from 'vitest';
import { parseConnectionString, resolveConnection } from '../src/connection-settings.ts';

describe('parseConnectionString', () => {
  it('reads keyword=value pairs with quoted values and escapes, dbname as database', () => {
    const settings = parseConnectionString("host=db.example port=6543 user=app password='it\\'s \\'quoted\\' p@ss' dbname=orders  sslmode=disable");
    expect(Object.fromEntries(settings)).toEqual({ host: 'db.example', port: '6543', user: 'app', password: "it's 'quoted' p@ss", database: 'orders', sslmode: 'disable' });
  });

  it('reads postgres:// and postgresql:// URLs with encoded credentials and query keywords', () => {
    const settings = parseConnectionString('postgresql://app:p%40ss%2Fw%3Ard@[::1]:6543/orders?sslmode=require&application_name=svc');
    expect(Object.fromEntries(settings)).toEqual({ user: 'app', password: 'p@ss/w:rd', host: '::1', port: '6543', database: 'orders', sslmode: 'require', application_name: 'svc' });
  });

  it('never quotes the text in its errors (it usually holds a password)', () => {
    for (const text of ['host=x password=S3cret! garbage', "password='S3cret!", 'postgres://u:S3cret!@bad host/db']) {
      let message = '';
      try {
        parseConnectionString(text);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^invalid connection string/);
      expect(message).not.toContain('S3cret');
    }
  });
});

describe('resolveConnection', () => {
  it('lets the fields override the parts of the string, as Dapr does', () => {
    const { config, address } = resolveConnection({
      connectionString: 'host=a port=1 user=u password=old dbname=d',
      host: 'b',
      port: '5433',
      password: 'new',
      database: 'other',
    });
    expect(config).toMatchObject({ host: 'b', port: 5433, user: 'u', password: 'new', database: 'other', ssl: false });
    expect(address).toBe('b:5433');
    expect(resolveConnection({ connectionString: 'postgres://u:old@a:1/d', user: 'v', hostaddr: '10.0.0.1' }).config).toMatchObject({
      host: '10.0.0.1',
      port: 1,
      user: 'v',
      password: 'old',
    });
  });

  it('builds a connection from the fields alone, and refuses when there is nothing to connect to', () => {
    expect(resolveConnection({ host: 'db', user: 'u', password: 'p' }).config).toMatchObject({ host: 'db', port: 5432, user: 'u', password: 'p' });
    expect(() => resolveConnection({})).toThrow("missing connection information: set 'connectionString'");
    expect(() => resolveConnection({ connectionString: '   ' })).toThrow('missing connection information');
  });

  it('maps pool keywords and sends unknown keywords as settings, escaping spaces', () => {
    const { config } = resolveConnection({
      connectionString: "host=h pool_max_conns=7 pool_max_conn_idle_time=90s pool_max_conn_lifetime=1h connect_timeout=3 search_path='a, b' statement_cache_capacity=0",
    });
    expect(config).toMatchObject({ max: 7, idleTimeoutMillis: 90_000, maxLifetimeSeconds: 3600, connectionTimeoutMillis: 3000, options: '-c search_path=a,\\ b' });
    expect(() => resolveConnection({ connectionString: 'host=h pool_max_conns=0' })).toThrow('invalid pool_max_conns');
    expect(() => resolveConnection({ connectionString: 'host=h port=99999' })).toThrow("invalid port '99999'");
    expect(() => resolveConnection({ connectionString: 'host=h connect_timeout=soon' })).toThrow('invalid connect_timeout');
  });

  it("reads sslmode as libpq does and refuses an unknown one", () => {
    expect(resolveConnection({ connectionString: 'host=h' }).config.ssl).toBe(false);
    expect(resolveConnection({ connectionString: 'host=h sslmode=require' }).config.ssl).toEqual({ rejectUnauthorized: false });
    expect(resolveConnection({ connectionString: 'host=h sslmode=verify-full' }).config.ssl).toEqual({});
    expect(() => resolveConnection({ connectionString: 'host=h sslmode=sometimes' })).toThrow("invalid sslmode 'sometimes'");
    expect(() => resolveConnection({ connectionString: 'host=h', sslRootCert: '/no/such/ca.pem' })).toThrow("cannot read sslrootcert '/no/such/ca.pem'");
  });
});
