import { runBindingConformance } from '@mecha/bindings/conformance';
import { afterAll, expect } from 'vitest';
import { definition } from '../src/definition.ts';
import { createTestBucket, removeTestBucket, s3Metadata } from './s3-server.ts';

const bucket = await createTestBucket();
afterAll(() => removeTestBucket(bucket));

runBindingConformance({
  name: 's3rver',
  definition,
  metadata: s3Metadata(bucket),
  output: {
    operations: ['create', 'get', 'delete', 'list', 'presign', 'bulkGet', 'bulkCreate', 'bulkDelete'],
    async roundTrip({ unique, invoke }) {
      const key = `conformance/${unique}.txt`;
      const created = await invoke('create', `hello ${unique}`, { key });
      expect(created.metadata['key']).toBe(key);
      expect(Buffer.from((await invoke('get', undefined, { key })).data).toString()).toBe(`hello ${unique}`);
      const listed = JSON.parse(Buffer.from((await invoke('list', JSON.stringify({ prefix: `conformance/${unique}` }))).data).toString()) as { Contents: { Key: string }[] };
      expect(listed.Contents.map((object) => object.Key)).toEqual([key]);
      await invoke('delete', undefined, { key });
      await expect(invoke('get', undefined, { key })).rejects.toThrow('object not found');
    },
  },
});
