import { describe, expect, it } from 'vitest';
import {
  PubSubService,
  TopicScopes,
  defaultRetryOptions,
  pubsubCommonFields,
} from '../src/index.ts';
import { backoffSequence, resolveRetryOptions } from '../src/retry-options.ts';
import { FakeBroker } from './fake-broker.ts';

describe('retry options', () => {
  it('defaults to 100 ms doubling up to 5 s, 10 attempts', () => {
    expect(defaultRetryOptions).toEqual({
      initialDelayMs: 100,
      factor: 2,
      maxDelayMs: 5000,
      maxAttempts: 10,
    });
    const next = backoffSequence(resolveRetryOptions());
    expect(Array.from({ length: 9 }, next)).toEqual([
      100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000,
    ]);
  });

  it('applies overrides and a custom factor', () => {
    const next = backoffSequence(
      resolveRetryOptions({ initialDelayMs: 10, factor: 3, maxDelayMs: 100 }),
    );
    expect([next(), next(), next(), next()]).toEqual([10, 30, 90, 100]);
  });

  it('refuses nonsense', () => {
    expect(() => resolveRetryOptions({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => resolveRetryOptions({ initialDelayMs: -1 })).toThrow(/initialDelayMs/);
    expect(
      () =>
        new PubSubService({
          name: 'b',
          broker: new FakeBroker(),
          features: [],
          appId: 'a',
          retry: { maxAttempts: 1.5 },
        }),
    ).toThrow(/maxAttempts/);
  });
});

describe('TopicScopes', () => {
  it('allows everything without scope metadata', () => {
    const scopes = new TopicScopes({}, 'app');
    expect(scopes.canPublish('any')).toBe(true);
    expect(scopes.canSubscribe('any')).toBe(true);
  });

  it('reads metadata names case-insensitively and ignores spaces', () => {
    const scopes = new TopicScopes(
      { PublishingScopes: 'app = a, b ; other=c', subscriptionscopes: 'app=' },
      'app',
    );
    expect(scopes.canPublish('a')).toBe(true);
    expect(scopes.canPublish('b')).toBe(true);
    expect(scopes.canPublish('c')).toBe(false);
    expect(scopes.canSubscribe('a')).toBe(false);
    expect(scopes.canSubscribe('')).toBe(true);
  });

  it('combines allowedTopics with scopes and protected topics', () => {
    const metadata = { allowedTopics: 'a,b,p', protectedTopics: 'p', subscriptionScopes: 'app=p' };
    const scopes = new TopicScopes(metadata, 'app');
    expect(scopes.canPublish('a')).toBe(true);
    expect(scopes.canPublish('z')).toBe(false);
    expect(scopes.canPublish('p')).toBe(false);
    expect(scopes.canSubscribe('p')).toBe(true);
    expect(scopes.canSubscribe('a')).toBe(false);
  });

  it('names the common metadata fields', () => {
    expect(pubsubCommonFields).toEqual([
      'consumerID',
      'allowedTopics',
      'publishingScopes',
      'subscriptionScopes',
      'protectedTopics',
    ]);
  });
});
