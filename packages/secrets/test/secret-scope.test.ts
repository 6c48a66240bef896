import { describe, expect, it } from 'vitest';
import { SecretScope } from '../src/secret-scope.ts';

describe('SecretScope (Dapr rules)', () => {
  it('allows everything by default', () => {
    expect(new SecretScope({ storeName: 's' }).allows('any')).toBe(true);
  });

  it('denies the listed secrets and allows the rest', () => {
    const scope = new SecretScope({ storeName: 's', deniedSecrets: ['admin'] });
    expect(scope.allows('admin')).toBe(false);
    expect(scope.allows('db')).toBe(true);
  });

  it('defaultAccess deny refuses what is not allowed', () => {
    const scope = new SecretScope({ storeName: 's', defaultAccess: 'deny' });
    expect(scope.allows('db')).toBe(false);
  });

  it('a non-empty allowedSecrets is the whole answer, whatever defaultAccess and deniedSecrets say', () => {
    const scope = new SecretScope({ storeName: 's', defaultAccess: 'allow', allowedSecrets: ['db', 'admin'], deniedSecrets: ['admin'] });
    expect(scope.allows('db')).toBe(true);
    expect(scope.allows('admin')).toBe(true);
    expect(scope.allows('other')).toBe(false);
  });
});
