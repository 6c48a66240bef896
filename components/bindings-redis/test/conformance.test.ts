import { runBindingConformance } from '@mecha/bindings/conformance';
import { expect } from 'vitest';
import { definition } from '../src/definition.ts';
import { redisHost } from './redis-server.ts';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

runBindingConformance({
  name: 'redis',
  definition,
  metadata: { redisHost },
  output: {
    operations: ['create', 'get', 'delete', 'increment'],
    async roundTrip({ unique, invoke }) {
      const key = `conformance-${unique}`;
      await invoke('create', `{"id":"${unique}"}`, { key });
      expect(text((await invoke('get', undefined, { key })).data)).toBe(`{"id":"${unique}"}`);
      await invoke('delete', undefined, { key });
      expect((await invoke('get', undefined, { key })).data.byteLength).toBe(0);
    },
  },
});
