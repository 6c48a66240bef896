import { runBindingConformance } from '@mecha/bindings/conformance';
import { expect } from 'vitest';
import { definition } from '../src/definition.ts';
import { mysqlDsn, uniqueTable } from './fixtures/mysql-server.ts';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

runBindingConformance({
  name: 'mysql (MariaDB)',
  definition,
  metadata: { url: mysqlDsn },
  output: {
    operations: ['exec', 'query', 'close'],
    async roundTrip({ unique, invoke }) {
      const table = uniqueTable('conformance');
      await invoke('exec', undefined, { sql: `CREATE TABLE ${table} (id varchar(64) PRIMARY KEY, n bigint)` });
      try {
        const inserted = await invoke('exec', undefined, { sql: `INSERT INTO ${table} (id, n) VALUES (?, ?), (?, ?)`, params: JSON.stringify([unique, 1, `${unique}-2`, 2]) });
        expect(inserted.metadata['rows-affected']).toBe('2');
        const read = await invoke('query', undefined, { sql: `SELECT id, n FROM ${table} WHERE id LIKE ? ORDER BY n`, params: JSON.stringify([`${unique}%`]) });
        expect(JSON.parse(text(read.data))).toEqual([
          { id: unique, n: 1 },
          { id: `${unique}-2`, n: 2 },
        ]);
      } finally {
        await invoke('exec', undefined, { sql: `DROP TABLE ${table}` });
      }
    },
  },
});
