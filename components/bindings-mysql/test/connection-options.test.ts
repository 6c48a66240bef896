import { describe, expect, it } from 'vitest';
import { connectionOptions } from '../src/connection-options.ts';
import { parseGoDsn } from '../src/go-dsn.ts';

describe('parseGoDsn', () => {
  it("splits Go's DSN: a password may hold @, : and /; parameters are URL-decoded", () => {
    const dsn = parseGoDsn('app:p@ss:w/rd@tcp(db.example:3307)/orders?tls=skip-verify&time_zone=%27%2B00:00%27');
    expect(dsn).toMatchObject({ user: 'app', password: 'p@ss:w/rd', net: 'tcp', address: 'db.example:3307', database: 'orders' });
    expect(Object.fromEntries(dsn.params)).toEqual({ tls: 'skip-verify', time_zone: "'+00:00'" });
    expect(parseGoDsn('/')).toMatchObject({ user: '', net: 'tcp', address: '', database: '' });
    expect(parseGoDsn('u@unix(/run/mysqld.sock)/db')).toMatchObject({ user: 'u', net: 'unix', address: '/run/mysqld.sock', database: 'db' });
  });

  it('refuses malformed DSNs without quoting them', () => {
    for (const text of ['root:S3cret!@localhost:3306', 'root:S3cret!@host:3306/db', 'root:S3cret!@udp(h:1)/db']) {
      let message = '';
      try {
        parseGoDsn(text);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^invalid DSN/);
      expect(message).not.toContain('S3cret');
    }
  });
});

describe('connectionOptions', () => {
  const options = (dsn: string, pemPath?: string) => connectionOptions(parseGoDsn(dsn), pemPath);

  it("uses Go's defaults: 127.0.0.1:3306, utf8mb4_general_ci, changed-rows counting, UTC times", () => {
    const result = options('root:pw@tcp(localhost)/mecha');
    expect(result.pool).toMatchObject({ host: 'localhost', port: 3306, user: 'root', password: 'pw', database: 'mecha', charset: 'utf8mb4_general_ci', multipleStatements: false, flags: ['-FOUND_ROWS'] });
    expect(result.pool.ssl).toBeUndefined();
    expect(result).toMatchObject({ address: 'localhost:3306', sessionSettings: [], interpolateParams: false, columnsWithAlias: false, timeZone: 'UTC' });
    expect(options('u@tcp([::1]:3310)/').address).toBe('[::1]:3310');
    expect(options('u@/db').pool).toMatchObject({ host: '127.0.0.1', port: 3306 });
    expect(options('u@unix(/s.sock)/db')).toMatchObject({ address: '/s.sock', pool: { socketPath: '/s.sock' } });
  });

  it('maps the parameters Go reads and turns the others into session settings', () => {
    const result = options(
      'u:p@tcp(h:1)/d?timeout=3s&readTimeout=1m&charset=latin1,utf8&multiStatements=true&clientFoundRows=true&interpolateParams=true&columnsWithAlias=true&loc=Local&parseTime=true&allowNativePasswords=true&sql_mode=%27ANSI%27&autocommit=1',
    );
    expect(result.pool).toMatchObject({ connectTimeout: 3000, charset: 'latin1', multipleStatements: true, flags: ['FOUND_ROWS'] });
    expect(result).toMatchObject({ statementTimeoutMs: 60_000, interpolateParams: true, columnsWithAlias: true, timeZone: 'Local', sessionSettings: ["sql_mode='ANSI'", 'autocommit=1'] });
    expect(options('u@tcp(h)/d?charset=utf8&collation=utf8mb4_bin').pool.charset).toBe('utf8mb4_bin');
  });

  it("reads tls as Go's driver does, with pemPath as the CA of tls=custom", () => {
    expect(options('u@tcp(h)/d?tls=true').pool.ssl).toEqual({ minVersion: 'TLSv1.2' });
    expect(options('u@tcp(h)/d?tls=skip-verify').pool.ssl).toEqual({ rejectUnauthorized: false });
    expect(options('u@tcp(h)/d?tls=false').pool.ssl).toBeUndefined();
    expect(options('u@tcp(h)/d?tls=preferred').pool.ssl).toBeUndefined();
    expect(() => options('u@tcp(h)/d?tls=custom')).toThrow("tls=custom, which needs the metadata field 'pemPath'");
    expect(() => options('u@tcp(h)/d?tls=custom', '/no/such.pem')).toThrow("cannot read pemPath '/no/such.pem'");
    expect(() => options('u@tcp(h)/d?tls=maybe')).toThrow('invalid DSN parameter tls=maybe');
    expect(options('u@tcp(h)/d?tls=custom', new URL(import.meta.url).pathname).pool.ssl).toMatchObject({ ca: expect.stringContaining('pemPath') });
  });

  it('refuses values it cannot honour, naming the parameter', () => {
    expect(() => options('u@tcp(h)/d?loc=Europe%2FParis')).toThrow('unsupported DSN parameter loc=Europe/Paris');
    expect(() => options('u@tcp(h)/d?timeout=soon')).toThrow('invalid DSN parameter timeout=soon');
    expect(() => options('u@tcp(h)/d?multiStatements=perhaps')).toThrow('invalid DSN parameter multiStatements=perhaps');
    expect(() => options('u@tcp(h:99999)/d')).toThrow('port 99999 is out of range');
    expect(() => options('u@tcp(h)/d?bad%20name=1')).toThrow("invalid DSN parameter name 'bad name'");
  });
});
