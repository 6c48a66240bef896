import { runBindingConformance } from '@mecha/bindings/conformance';
import { expect } from 'vitest';
import { definition } from '../src/definition.ts';
import { postgresUrl, uniqueTable } from './fixtures/postgres-server.ts';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

runBindingConformance({
  name: 'postgresql',
  definition,
  metadata: { connectionString: postgresUrl },
  output: {
    operations: ['exec', 'query', 'close'],
    async roundTrip({ unique, invoke }) {
      const table = uniqueTable('conformance');
      await invoke('exec', undefined, { sql: `CREATE TABLE ${table} (id text PRIMARY KEY, n int8)` });
      try {
        const inserted = await invoke('exec', undefined, { sql: `INSERT INTO ${table} (id, n) VALUES ($1, $2), ($3, $4)`, params: JSON.stringify([unique, 1, `${unique}-2`, 2]) });
        expect(inserted.metadata['rows-affected']).toBe('2');
        const read = await invoke('query', undefined, { sql: `SELECT id, n FROM ${table} WHERE id LIKE $1 ORDER BY n`, params: JSON.stringify([`${unique}%`]) });
        expect(JSON.parse(text(read.data))).toEqual([
          [unique, 1],
          [`${unique}-2`, 2],
        ]);
      } finally {
        await invoke('exec', undefined, { sql: `DROP TABLE ${table}` });
      }
    },
  },
});
