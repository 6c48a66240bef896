/** Dapr's limit on table and channel names. */
const maxIdentifierLength = 64;
const identifierChars = /^[a-z0-9./_]*$/;

/** A possibly schema-qualified name, quoted for SQL (the checks below leave no quote to escape). */
export const quotedName = (name: string): string =>
  name
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');

/** Checks a table name as Dapr does (its messages too). */
export function checkTableName(table: string): string {
  if (table === '') throw new Error('missing postgreSQL configuration table name');
  if (table.length > maxIdentifierLength) {
    throw new Error(`table name is too long - tableName : '${table}'. max allowed field length is ${maxIdentifierLength}`);
  }
  if (!identifierChars.test(table)) throw new Error(`invalid table name '${table}'. non-alphanumerics or upper cased table names are not supported`);
  return table;
}

/** Checks a notify channel name as Dapr does (its messages too). */
export function checkChannelName(channel: string): string {
  if (channel.length > maxIdentifierLength) throw new Error(`notifyChannel name is too long - ${JSON.stringify(channel)}. max allowed length is ${maxIdentifierLength}`);
  if (!identifierChars.test(channel)) throw new Error(`invalid notifyChannel name ${JSON.stringify(channel)}. non-alphanumerics or upper cased names are not supported`);
  return channel;
}
