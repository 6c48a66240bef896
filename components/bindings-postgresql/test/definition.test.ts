import { silentLogger, validateMetadata } from '@mecha/core';
import { describe, expect, it } from 'vitest';
import { definition } from '../src/definition.ts';
import { postgresUrl } from './fixtures/postgres-server.ts';

const create = (raw: Record<string, string>) =>
  definition.create(validateMetadata(definition.metadata, raw), { name: 'pg', appId: 'test', logger: silentLogger(), rawMetadata: raw });

describe('bindings.postgresql definition', () => {
  it("has Dapr's type and declares an output binding", () => {
    expect(definition.type).toBe('bindings.postgresql');
    expect(definition.version).toBe('v1');
    expect(definition.features).toEqual(['OUTPUT']);
    expect(definition.metadata.connectionString.sensitive).toBe(true);
    expect(definition.metadata.password.sensitive).toBe(true);
  });

  it('refuses bad metadata naming the field', async () => {
    await expect(create({ connectionString: postgresUrl, timeout: '500ms' })).rejects.toThrow("metadata field 'timeout': must be at least 1s");
    await expect(create({ connectionString: postgresUrl, timeoutInSeconds: '0.5' })).rejects.toThrow("metadata field 'timeoutInSeconds'");
    await expect(create({ connectionString: postgresUrl, useAzureAD: 'true' })).rejects.toThrow("metadata field 'useAzureAD'");
    await expect(create({ connectionString: postgresUrl, useAWSIAM: 'true' })).rejects.toThrow("metadata field 'useAWSIAM'");
    await expect(create({ connectionString: postgresUrl, queryExecMode: 'turbo' })).rejects.toThrow("metadata field 'queryExecMode'");
    await expect(create({ connectionString: postgresUrl, maxConns: '2.5' })).rejects.toThrow("metadata field 'maxConns'");
    await expect(create({ connectionString: postgresUrl, connectionMaxIdleTime: '-1s' })).rejects.toThrow("metadata field 'connectionMaxIdleTime'");
    await expect(create({})).rejects.toThrow("missing connection information: set 'connectionString'");
    expect(() => validateMetadata(definition.metadata, { maxConns: 'many' })).toThrow('metadata field "maxConns"');
    expect(() => validateMetadata(definition.metadata, { timeout: 'soon' })).toThrow('metadata field "timeout"');
  });

  it('connects with the older url field, and with timeoutInSeconds', async () => {
    const binding = await create({ url: postgresUrl, timeoutInSeconds: '5', queryExecMode: 'simple_protocol', maxConns: '3' });
    try {
      const response = await binding.invoke!({ operation: 'query', data: new Uint8Array(), metadata: { sql: 'SELECT 1' } });
      expect(Buffer.from(response.data).toString()).toBe('[[1]]');
    } finally {
      await binding.close();
    }
  });
});
