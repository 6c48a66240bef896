import { silentLogger, validateMetadata } from '@mecha/core';
import { describe, expect, it } from 'vitest';
import { definition } from '../src/definition.ts';

const create = (raw: Record<string, string>) =>
  definition.create(validateMetadata(definition.metadata, raw), { name: 'mail', appId: 'test', logger: silentLogger(), rawMetadata: raw });

describe('bindings.smtp definition', () => {
  it("has Dapr's type, field names and defaults, and declares an output binding", () => {
    expect(definition.type).toBe('bindings.smtp');
    expect(definition.version).toBe('v1');
    expect(definition.features).toEqual(['OUTPUT']);
    expect(Object.keys(definition.metadata).sort()).toEqual(
      ['host', 'port', 'user', 'password', 'skipTLSVerify', 'emailFrom', 'emailTo', 'emailCC', 'emailBCC', 'subject', 'priority'].sort(),
    );
    expect(definition.metadata.password.sensitive).toBe(true);
    expect(validateMetadata(definition.metadata, { host: 'h' })).toMatchObject({ host: 'h', port: 587, priority: 3, skipTLSVerify: false });
  });

  it('refuses bad metadata naming the field', async () => {
    expect(() => validateMetadata(definition.metadata, {})).toThrow('metadata field "host": is required');
    expect(() => validateMetadata(definition.metadata, { host: 'h', port: 'smtp' })).toThrow('metadata field "port"');
    expect(() => validateMetadata(definition.metadata, { host: 'h', skipTLSVerify: 'maybe' })).toThrow('metadata field "skipTLSVerify"');
    await expect(create({ host: 'h', priority: '9' })).rejects.toThrow("metadata field 'priority'");
    await expect(create({ host: 'h', user: 'u' })).rejects.toThrow("metadata fields 'user' and 'password' go together");
    await expect(create({ host: 'h', port: '0' })).rejects.toThrow("metadata field 'port'");
    const binding = await create({ host: 'h', port: '2525', priority: '1', skipTLSVerify: 'true' });
    expect(binding.operations).toEqual(['create']);
    await binding.close();
  });
});
