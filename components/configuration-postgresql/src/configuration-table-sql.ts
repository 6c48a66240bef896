import { checkChannelName, checkTableName, quotedName } from './identifiers.ts';

/**
 * The statements that set a database up the way Dapr's docs describe for
 * `configuration.postgresql`: the table (KEY, VALUE, VERSION, METADATA), a trigger function
 * that calls `pg_notify(<channel>, {"table", "action", "data": <row>})` and the trigger on
 * inserts, updates and deletes. The component itself never runs them: the table belongs to the
 * operator. Idempotent; run them in order.
 */
export function configurationTableSql(table: string, channel: string): string[] {
  checkTableName(table);
  checkChannelName(channel);
  const sqlTable = quotedName(table);
  const base = table.split('.').at(-1)!.replace(/[^a-z0-9_]/g, '_');
  const schema = table.includes('.') ? `${quotedName(table.split('.').slice(0, -1).join('.'))}.` : '';
  const fn = `${schema}"${`${base}_notify`.slice(0, 63)}"`;
  const trigger = `"${`${base}_changed`.slice(0, 63)}"`;
  return [
    `CREATE TABLE IF NOT EXISTS ${sqlTable} (key VARCHAR NOT NULL, value VARCHAR NOT NULL, version VARCHAR NOT NULL, metadata JSON)`,
    `CREATE OR REPLACE FUNCTION ${fn}() RETURNS TRIGGER AS $$
BEGIN
  PERFORM pg_notify('${channel}', json_build_object(
    'table', TG_TABLE_NAME,
    'action', TG_OP,
    'data', CASE WHEN TG_OP = 'DELETE' THEN row_to_json(OLD) ELSE row_to_json(NEW) END
  )::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql`,
    `DROP TRIGGER IF EXISTS ${trigger} ON ${sqlTable}`,
    `CREATE TRIGGER ${trigger} AFTER INSERT OR UPDATE OR DELETE ON ${sqlTable} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
  ];
}
