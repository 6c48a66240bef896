import { runBindingConformance } from '@mecha/bindings/conformance';
import { afterAll, expect } from 'vitest';
import { definition } from '../src/definition.ts';
import { createTestBucket, gcsMetadata, removeTestBucket } from './gcs-server.ts';

const bucket = await createTestBucket();
afterAll(() => removeTestBucket(bucket));

runBindingConformance({
  name: 'fake-gcs-server',
  definition,
  metadata: gcsMetadata(bucket),
  output: {
    operations: ['create', 'get', 'delete', 'list', 'sign', 'bulkGet', 'copy', 'rename', 'move'],
    async roundTrip({ unique, invoke }) {
      const key = `conformance/${unique}.txt`;
      await invoke('create', `hello ${unique}`, { key });
      expect(Buffer.from((await invoke('get', undefined, { key })).data).toString()).toBe(`hello ${unique}`);
      const listed = JSON.parse(Buffer.from((await invoke('list', JSON.stringify({ prefix: `conformance/${unique}` }))).data).toString()) as { Name: string }[];
      expect(listed.map((object) => object.Name)).toEqual([key]);
      await invoke('delete', undefined, { key });
      await expect(invoke('get', undefined, { key })).rejects.toThrow('object not found');
    },
  },
});
