import { describe, expect, it } from 'vitest';
import { startMechad } from './support/mechad-process.ts';

/** A broken resource file stops mechad at start with a message naming the file and the field. */
describe('resource files mechad refuses', () => {
  const cases: { name: string; file: string; yaml: string; mentions: string[] }[] = [
    {
      name: 'a misspelt spec field',
      file: 'typo.yaml',
      yaml: `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  tpye: state.in-memory
  version: v1
`,
      mentions: ['typo.yaml', 'tpye'],
    },
    {
      name: 'an unknown component type',
      file: 'unknown.yaml',
      yaml: `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: state.nosuchthing
  version: v1
`,
      mentions: ['unknown.yaml', 'spec.type', 'state.nosuchthing'],
    },
    {
      name: 'a metadata value of the wrong type',
      file: 'badvalue.yaml',
      yaml: `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: state.sqlite
  version: v1
  metadata:
    - name: connectionString
      value: ":memory:"
    - name: timeout
      value: "soon"
`,
      mentions: ['badvalue.yaml', 'timeout'],
    },
    {
      name: 'a Subscription without a topic (second document of the file)',
      file: 'subs.yaml',
      yaml: `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pubsub
spec:
  type: pubsub.in-memory
  version: v1
---
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: orders
spec:
  pubsubname: pubsub
  routes:
    default: /orders
`,
      mentions: ['subs.yaml', 'document 2', 'spec.topic'],
    },
  ];

  for (const testCase of cases) {
    it(`exits non-zero on ${testCase.name}`, async () => {
      const sidecar = await startMechad({ appId: 'broken', resources: { [testCase.file]: testCase.yaml }, waitFor: 'exit' });
      expect(await sidecar.exited).not.toBe(0);
      for (const mention of testCase.mentions) expect(sidecar.output()).toContain(mention);
    });
  }
});
