import { describe, expect, it } from 'vitest';
import { KeyScheme, decodeStateJson, encodeStateValue, parseTtl, stateCommonMetadata } from '../src/index.ts';

describe('KeyScheme', () => {
  const scheme = (keyPrefix?: string, appId = 'app', namespace?: string) => new KeyScheme({ storeName: 'store', appId, namespace, keyPrefix });

  it('builds the prefix for each mode', () => {
    expect(scheme().toStoreKey('k')).toBe('app||k');
    expect(scheme('AppId').toStoreKey('k')).toBe('app||k');
    expect(scheme('name').toStoreKey('k')).toBe('store||k');
    expect(scheme('namespace', 'app', 'prod').toStoreKey('k')).toBe('prod.app||k');
    expect(scheme('namespace').toStoreKey('k')).toBe('app||k');
    expect(scheme('none').toStoreKey('k')).toBe('k');
    expect(scheme('Tenant-A').toStoreKey('k')).toBe('tenant-a||k');
    // Without an app id daprd stores the key as is.
    expect(scheme('appid', '').toStoreKey('k')).toBe('k');
  });

  it('strips the prefix it added, and only that', () => {
    expect(scheme().fromStoreKey('app||k')).toBe('k');
    expect(scheme().fromStoreKey('other||k')).toBe('other||k');
    expect(scheme('none').fromStoreKey('a||b')).toBe('a||b');
  });

  it('refuses empty keys and the separator', () => {
    expect(() => scheme().toStoreKey('')).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED_REQUEST', kind: 'invalid-argument' }));
    expect(() => scheme('none').toStoreKey('a||b')).toThrow(
      expect.objectContaining({ code: 'ERR_MALFORMED_REQUEST', info: expect.objectContaining({ reason: 'DAPR_STATE_ILLEGAL_KEY' }) }),
    );
    expect(() => scheme('x||y')).toThrow(/can't contain/);
  });
});

describe('parseTtl', () => {
  it('accepts integers from -1 and treats absent or empty as none', () => {
    expect(parseTtl(undefined)).toBeUndefined();
    expect(parseTtl({ ttlInSeconds: '' })).toBeUndefined();
    expect(parseTtl({ ttlInSeconds: '-1' })).toBe(-1);
    expect(parseTtl({ ttlInSeconds: '0' })).toBe(0);
    expect(parseTtl({ ttlInSeconds: ' 42 ' })).toBe(42);
  });
  it('refuses anything else', () => {
    for (const value of ['x', '1.5', '-2', '1e3', '2147483648']) expect(() => parseTtl({ ttlInSeconds: value })).toThrow(/ttlInSeconds/);
  });
});

describe('state values', () => {
  it('keeps bytes raw and JSON-encodes everything else', () => {
    const bytes = new Uint8Array([0, 255]);
    expect(encodeStateValue(bytes)).toBe(bytes);
    expect(new TextDecoder().decode(encodeStateValue('a'))).toBe('"a"');
    expect(new TextDecoder().decode(encodeStateValue(undefined))).toBe('null');
    expect(decodeStateJson(encodeStateValue({ a: [1] }))).toEqual({ a: [1] });
  });
  it('lists the common metadata daprd reads itself', () => {
    expect(stateCommonMetadata).toContain('keyPrefix');
    expect(stateCommonMetadata).toContain('actorStateStore');
  });
});
