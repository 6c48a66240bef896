import { silentLogger, validateMetadata } from '@mecha/core';
import { describe, expect, it } from 'vitest';
import { definition } from '../src/definition.ts';
import { dsnWith, mysqlDsn } from './fixtures/mysql-server.ts';

const create = (raw: Record<string, string>) =>
  definition.create(validateMetadata(definition.metadata, raw), { name: 'mysql', appId: 'test', logger: silentLogger(), rawMetadata: raw });

describe('bindings.mysql definition', () => {
  it("has Dapr's type and declares an output binding", () => {
    expect(definition.type).toBe('bindings.mysql');
    expect(definition.version).toBe('v1');
    expect(definition.features).toEqual(['OUTPUT']);
    expect(definition.metadata.url.sensitive).toBe(true);
  });

  it('refuses bad metadata naming the field', async () => {
    expect(() => validateMetadata(definition.metadata, {})).toThrow('metadata field "url": is required');
    expect(() => validateMetadata(definition.metadata, { url: mysqlDsn, maxOpenConns: 'lots' })).toThrow('metadata field "maxOpenConns"');
    expect(() => validateMetadata(definition.metadata, { url: mysqlDsn, connMaxLifetime: 'forever' })).toThrow('metadata field "connMaxLifetime"');
    await expect(create({ url: mysqlDsn, maxIdleConns: '0' })).rejects.toThrow("metadata field 'maxIdleConns': must be a whole number greater than 0");
    await expect(create({ url: mysqlDsn, maxOpenConns: '1.5' })).rejects.toThrow("metadata field 'maxOpenConns'");
    await expect(create({ url: mysqlDsn, connMaxIdleTime: '-1s' })).rejects.toThrow("metadata field 'connMaxIdleTime'");
    await expect(create({ url: 'root:S3cret@localhost:3306' })).rejects.toThrow("metadata field 'url': invalid DSN");
    await expect(create({ url: dsnWith('tls=custom') })).rejects.toThrow("metadata field 'url': the DSN asks for tls=custom, which needs the metadata field 'pemPath'");
    await expect(create({ url: dsnWith('loc=Asia%2FTokyo') })).rejects.toThrow("metadata field 'url': unsupported DSN parameter loc=Asia/Tokyo");
    await expect(create({ url: mysqlDsn, pemPath: '/no/such/ca.pem' })).rejects.toThrow("metadata field 'pemPath': cannot read pemPath");
  });

  it('opens with every pool field set', async () => {
    const binding = await create({ url: mysqlDsn, maxIdleConns: '1', maxOpenConns: '3', connMaxLifetime: '1m', connMaxIdleTime: '30s' });
    try {
      const response = await binding.invoke!({ operation: 'query', data: new Uint8Array(), metadata: { sql: 'SELECT 1 AS one' } });
      expect(Buffer.from(response.data).toString()).toBe('[{"one":1}]');
    } finally {
      await binding.close();
    }
  });
});
