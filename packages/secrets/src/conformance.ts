import { silentLogger, validateMetadata, type ComponentDefinition } from '@mecha/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Secret, SecretStore, SecretStoreFeature } from './secret-store.ts';
import { SecretScope } from './secret-scope.ts';
import { SecretsService } from './secrets-service.ts';

export interface SecretStoreConformanceOptions {
  /** Shown in the suite name. */
  name: string;
  definition: ComponentDefinition<SecretStore, SecretStoreFeature>;
  /** Component metadata, as strings the way a resource file gives them. */
  metadata: Record<string, string>;
  /**
   * Secrets the test put in the store beforehand, exactly as `get` must return them. Include
   * at least two, one with a non-ASCII value; with MULTIPLE_KEY_VALUES_PER_SECRET, one with
   * several keys.
   */
  expected: Record<string, Secret>;
  /** A name the store holds no secret under. */
  missingName: string;
  /** True when the store holds nothing but `expected` (a file); false when it holds more (the environment). */
  bulkIsExact: boolean;
}

/**
 * Registers vitest suites that check a secret store component against the block's semantics:
 * reads by name, the shape of single-value and multi-value secrets, missing secrets, bulk
 * reads, and scopes that keep denied secrets from ever being read. Call it at the top level of
 * a test file.
 */
export function runSecretStoreConformance(options: SecretStoreConformanceOptions): void {
  const multiValued = options.definition.features.includes('MULTIPLE_KEY_VALUES_PER_SECRET');
  const names = Object.keys(options.expected);

  describe(`secret store conformance: ${options.name} (${options.definition.type}/${options.definition.version})`, () => {
    let store: SecretStore;
    /** Names the store was asked for, to prove a denied secret is never read. */
    const asked: string[] = [];

    beforeAll(async () => {
      const validated = validateMetadata(options.definition.metadata, options.metadata);
      const created = await options.definition.create(validated, {
        name: 'conformance-secrets',
        appId: 'conformance',
        logger: silentLogger(),
        rawMetadata: options.metadata,
      });
      store = {
        get: (name, metadata) => {
          asked.push(name);
          return created.get(name, metadata);
        },
        bulkGet: (metadata) => created.bulkGet(metadata),
        close: () => created.close(),
      };
    });

    afterAll(async () => {
      await store?.close();
    });

    const service = (scope?: SecretScope) => new SecretsService({ name: 'conformance-secrets', store, ...(scope ? { scope } : {}) });

    it('needs at least two expected secrets to be meaningful', () => {
      expect(names.length).toBeGreaterThanOrEqual(2);
      if (multiValued) expect(Object.values(options.expected).some((secret) => Object.keys(secret).length > 1)).toBe(true);
    });

    it('reads every secret by name with exactly its key/values', async () => {
      for (const name of names) expect(await service().get(name)).toEqual(options.expected[name]);
    });

    it(
      multiValued
        ? 'may hold several key/values per secret (MULTIPLE_KEY_VALUES_PER_SECRET declared)'
        : 'returns each secret as one key/value named after the secret (MULTIPLE_KEY_VALUES_PER_SECRET not declared)',
      async () => {
        for (const name of names) {
          const secret = await service().get(name);
          if (!multiValued) expect(Object.keys(secret)).toEqual([name]);
          for (const value of Object.values(secret)) expect(typeof value).toBe('string');
        }
      },
    );

    it('answers ERR_SECRET_GET naming the secret and the store for a missing secret', async () => {
      await expect(service().get(options.missingName)).rejects.toMatchObject({
        code: 'ERR_SECRET_GET',
        kind: 'internal',
        message: expect.stringContaining(`failed getting secret with key ${options.missingName} from secret store conformance-secrets`),
      });
    });

    it(`reads every secret in bulk${options.bulkIsExact ? ', and nothing else' : ''}`, async () => {
      const all = await service().bulkGet();
      if (options.bulkIsExact) expect(all).toEqual(options.expected);
      else expect(all).toMatchObject(options.expected);
    });

    it('refuses a secret the scope denies without asking the store, and leaves it out of bulk reads', async () => {
      const [allowed, denied] = names as [string, string];
      const scoped = service(new SecretScope({ storeName: 'conformance-secrets', deniedSecrets: [denied] }));
      asked.length = 0;
      const refusal = await scoped.get(denied).catch((error: unknown) => error);
      expect(refusal).toMatchObject({ code: 'ERR_PERMISSION_DENIED', kind: 'permission-denied' });
      expect(asked).not.toContain(denied);
      // The refusal carries no value of the secret.
      for (const value of Object.values(options.expected[denied]!)) {
        expect(JSON.stringify(refusal) + String((refusal as Error).message)).not.toContain(value);
      }
      expect(await scoped.get(allowed)).toEqual(options.expected[allowed]);
      const bulk = await scoped.bulkGet();
      expect(bulk).not.toHaveProperty([denied]);
      expect(bulk[allowed]).toEqual(options.expected[allowed]);

      const onlyAllowed = service(new SecretScope({ storeName: 'conformance-secrets', defaultAccess: 'deny', allowedSecrets: [allowed] }));
      expect(Object.keys(await onlyAllowed.bulkGet())).toEqual([allowed]);
      await expect(onlyAllowed.get(denied)).rejects.toMatchObject({ code: 'ERR_PERMISSION_DENIED' });
    });
  });
}
