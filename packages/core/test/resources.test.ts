import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfiguration, loadResources, MechaError, ResourceFileError, resolveComponentMetadata } from '../src/index.ts';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mecha-core-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const component = (name: string, extra = '') => `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: state.in-memory
  version: v1
  metadata:
    - name: keyPrefix
      value: none
    - name: port
      value: 6379
    - name: nested
      value: { a: 1 }
${extra}`;

async function loadError(files: Record<string, string>, appId?: string): Promise<ResourceFileError> {
  try {
    await loadResources([folder(files)], { appId });
  } catch (error) {
    if (error instanceof ResourceFileError) return error;
    throw error;
  }
  throw new Error('expected a ResourceFileError');
}

describe('loadResources', () => {
  it('reads every kind, several documents per file, from several paths', async () => {
    const first = folder({
      'a.yaml': `${component('one')}---
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: orders
spec:
  pubsubname: pubsub
  topic: orders
  routes:
    rules:
      - match: event.type == "big"
        path: /big
    default: /orders
  deadLetterTopic: poison
---
apiVersion: dapr.io/v1alpha1
kind: Subscription
metadata:
  name: legacy
spec:
  pubsubname: pubsub
  topic: legacy
  route: /legacy
`,
      'ignored.txt': 'not yaml at all: [',
    });
    const second = folder({
      'b.yml': `apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: r
spec:
  policies:
    timeouts:
      fast: 1s
---
apiVersion: dapr.io/v1alpha1
kind: HTTPEndpoint
metadata:
  name: ext
spec:
  baseUrl: http://127.0.0.1:9999
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: not-dapr
`,
    });
    const loaded = await loadResources([first, second]);
    expect(loaded.components.map((c) => c.name)).toEqual(['one']);
    expect(loaded.components[0]!.metadata).toEqual([
      { name: 'keyPrefix', value: 'none' },
      { name: 'port', value: '6379' },
      { name: 'nested', value: '{"a":1}' },
    ]);
    expect(loaded.subscriptions).toHaveLength(2);
    expect(loaded.subscriptions[0]).toMatchObject({
      pubsubName: 'pubsub',
      topic: 'orders',
      routes: { rules: [{ match: 'event.type == "big"', path: '/big' }], default: '/orders' },
      deadLetterTopic: 'poison',
    });
    expect(loaded.subscriptions[1]).toMatchObject({ apiVersion: 'dapr.io/v1alpha1', routes: { rules: [], default: '/legacy' } });
    expect(loaded.resiliencies[0]!.spec.policies?.timeouts).toEqual({ fast: '1s' });
    expect(loaded.httpEndpoints[0]!.baseUrl).toBe('http://127.0.0.1:9999');
  });

  it('leaves out resources scoped to other apps', async () => {
    const dir = folder({ 'a.yaml': `${component('mine')}scopes: [me]\n---\n${component('theirs')}scopes: [them]\n` });
    expect((await loadResources([dir], { appId: 'me' })).components.map((c) => c.name)).toEqual(['mine']);
  });

  it('names the file, document and field of a misspelt field', async () => {
    const error = await loadError({ 'x.yaml': `${component('ok')}---\napiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: bad\nspec:\n  tpye: state.redis\n` });
    expect(error.message).toContain('x.yaml (document 2)');
    expect(error.field).toBe('spec.tpye');
  });

  it('refuses an unknown Dapr kind, invalid YAML, and a missing path', async () => {
    expect((await loadError({ 'k.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: Widget\nmetadata:\n  name: w\n' })).field).toBe('kind');
    expect((await loadError({ 'y.yaml': 'apiVersion: [unclosed\n' })).message).toContain('invalid YAML');
    await expect(loadResources(['/no/such/folder'])).rejects.toThrow(/does not exist/);
  });

  it('reads a Configuration for --config', async () => {
    const dir = folder({
      'config.yaml': `apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: daprConfig
spec:
  features:
    - name: Feature1
      enabled: true
  nameResolution:
    component: mdns
  tracing:
    samplingRate: "1"
`,
    });
    const config = await loadConfiguration(path.join(dir, 'config.yaml'));
    expect(config.spec.features).toEqual([{ name: 'Feature1', enabled: true }]);
    expect(config.spec.nameResolution?.component).toBe('mdns');
  });
});

describe('resolveComponentMetadata', () => {
  it('resolves secretKeyRef through the component secret store and expands placeholders', async () => {
    const dir = folder({
      'c.yaml': `${component('s')}    - name: password
      secretKeyRef:
        name: redis
        key: pw
    - name: consumerID
      value: "{appID}-group"
auth:
  secretStore: vault
`,
    });
    const [resource] = (await loadResources([dir])).components;
    const asked: string[] = [];
    const values = await resolveComponentMetadata(resource!, {
      appId: 'checkout',
      resolveSecret: async (store, ref) => {
        asked.push(`${store}/${ref.name}/${ref.key}`);
        return 's3cret';
      },
    });
    expect(values).toMatchObject({ password: 's3cret', consumerID: 'checkout-group', keyPrefix: 'none' });
    expect(asked).toEqual(['vault/redis/pw']);
  });

  it('refuses secretKeyRef when no secret store can resolve it', async () => {
    const dir = folder({ 'c.yaml': `${component('s')}    - name: password\n      secretKeyRef:\n        name: redis\n` });
    const [resource] = (await loadResources([dir])).components;
    await expect(resolveComponentMetadata(resource!, { appId: 'a' })).rejects.toThrow(/no auth.secretStore/);
  });

  it('names the component, field, secret and file when the secret store cannot answer', async () => {
    const dir = folder({ 'c.yaml': `${component('s')}    - name: password\n      secretKeyRef:\n        name: redis\nauth:\n  secretStore: vault\n` });
    const [resource] = (await loadResources([dir])).components;
    const failing = async () => {
      throw new MechaError('ERR_SECRET_STORE_NOT_FOUND', 'invalid-argument', 'failed finding secret store with key vault');
    };
    await expect(resolveComponentMetadata(resource!, { appId: 'a', resolveSecret: failing })).rejects.toMatchObject({
      code: 'ERR_SECRET_STORE_NOT_FOUND',
      message: expect.stringMatching(/^component s: metadata field "password" uses secretKeyRef "redis" from secret store "vault": failed finding secret store with key vault \(.*c\.yaml\)$/),
    });
  });
});
