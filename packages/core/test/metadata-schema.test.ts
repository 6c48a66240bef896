import { describe, expect, it } from 'vitest';
import { defineMetadata, MetadataValidationError, renderMetadataTable, sensitiveFields, validateMetadata } from '../src/index.ts';

const schema = defineMetadata({
  host: { type: 'string', required: true, description: 'Server address' },
  port: { type: 'number', default: 6379, description: 'Port' },
  tls: { type: 'boolean', default: false, description: 'Use TLS' },
  timeout: { type: 'duration', default: 5000, description: 'Timeout' },
  mode: { type: 'string', allowed: ['a', 'b'], description: 'Mode | pipe' },
  password: { type: 'string', sensitive: true, description: 'Password' },
  options: { type: 'json', description: 'Extra options' },
});

describe('validateMetadata', () => {
  it('coerces the string values a YAML file gives and applies defaults', () => {
    const values = validateMetadata(schema, { host: 'localhost', port: '6380', tls: 'true', timeout: '1m30s', options: '{"a":1}' });
    expect(values).toEqual({ host: 'localhost', port: 6380, tls: true, timeout: 90_000, options: { a: 1 } });
  });

  it('keeps typed values and fills defaults for missing fields', () => {
    expect(validateMetadata(schema, { host: 'h', port: 1, tls: false })).toEqual({ host: 'h', port: 1, tls: false, timeout: 5000 });
  });

  it('names every bad field', () => {
    let caught: unknown;
    try {
      validateMetadata(schema, { port: 'many', tls: 'perhaps', timeout: 'soon', mode: 'c', options: '{' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MetadataValidationError);
    const fields = (caught as MetadataValidationError).issues.map((i) => i.field).sort();
    expect(fields).toEqual(['host', 'mode', 'options', 'port', 'timeout', 'tls']);
    expect((caught as Error).message).toContain('metadata field "host": is required');
  });

  it('reports unknown fields without failing, and passes through common ones', () => {
    const unknown: string[] = [];
    const values = validateMetadata(schema, { host: 'h', keyPrefix: 'none', typo: 'x' }, { passthrough: ['keyPrefix'], onUnknownField: (f) => unknown.push(f) });
    expect(values).toMatchObject({ keyPrefix: 'none' });
    expect(unknown).toEqual(['typo']);
  });
});

describe('schema documentation', () => {
  it('lists sensitive fields', () => {
    expect(sensitiveFields(schema)).toEqual(['password']);
  });

  it('renders a Markdown table with every field, escaping pipes', () => {
    const table = renderMetadataTable(schema);
    expect(table.split('\n')).toHaveLength(2 + Object.keys(schema).length);
    expect(table).toContain('| `port` | number | no | `6379` |  | Port |');
    expect(table).toContain('Mode \\| pipe One of: `a`, `b`.');
  });
});
