import { describe, expect, it } from 'vitest';
import { parseGoDsn } from '../src/index.ts';

describe('Go MySQL DSN', () => {
  it('takes apart user, password, address, database and parameters', () => {
    const dsn = parseGoDsn('app:s3cret@tcp(db.example:3307)/orders?allowNativePasswords=true&tls=skip-verify&timeout=5s');
    expect(dsn).toMatchObject({ user: 'app', password: 's3cret', net: 'tcp', host: 'db.example', port: 3307, database: 'orders' });
    expect(Object.fromEntries(dsn.params)).toEqual({ allowNativePasswords: 'true', tls: 'skip-verify', timeout: '5s' });
  });

  it('keeps a password with @, : and / verbatim, as the Go driver does', () => {
    expect(parseGoDsn('user:p@ss:w/rd@tcp(localhost:3306)/')).toMatchObject({ user: 'user', password: 'p@ss:w/rd', host: 'localhost', database: '' });
  });

  it('fills defaults for a bare DSN and reads unix sockets and IPv6 hosts', () => {
    expect(parseGoDsn('/')).toMatchObject({ net: 'tcp', host: '127.0.0.1', port: 3306, database: '' });
    expect(parseGoDsn('root@tcp([::1]:3306)/db')).toMatchObject({ user: 'root', host: '::1', port: 3306, database: 'db' });
    expect(parseGoDsn('root:pw@unix(/run/mysqld/mysqld.sock)/db')).toMatchObject({ net: 'unix', socketPath: '/run/mysqld/mysqld.sock' });
    expect(parseGoDsn('root@tcp(dbhost)/db')).toMatchObject({ host: 'dbhost', port: 3306 });
  });

  it('refuses strings that are not Go DSNs', () => {
    expect(() => parseGoDsn('')).toThrow(/missing connection string/);
    expect(() => parseGoDsn('localhost:3306')).toThrow(/Go DSN form/);
    expect(() => parseGoDsn('root@udp(host:1)/db')).toThrow(/unsupported network 'udp'/);
    expect(() => parseGoDsn('root@tcp(host:99999)/db')).toThrow(/invalid port/);
    expect(() => parseGoDsn('root@tcp(host/db')).toThrow(/invalid address/);
  });
});
