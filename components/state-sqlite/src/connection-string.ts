import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SqliteTarget {
  /** A file path, or `:memory:`. */
  path: string;
  memory: boolean;
  readOnly: boolean;
  /** The file must already exist (`mode=rw`). */
  mustExist: boolean;
  /** `PRAGMA name = value` statements from `_pragma=name(value)` parameters. */
  pragmas: Array<[string, string]>;
}

/** Pragmas the component sets from its own metadata; Dapr refuses them in the connection string too. */
const reservedPragmas = ['busy_timeout', 'journal_mode', 'foreign_keys'];

/**
 * Reads a connection string as Dapr's SQLite components accept it: a plain path, `:memory:`,
 * or a `file:` URI whose query may carry `mode` (`ro`, `rw`, `rwc`, `memory`), `immutable=1`
 * and `_pragma=name(value)`. Other parameters (Go driver options such as `_txlock`) are ignored.
 */
export function parseConnectionString(connectionString: string): SqliteTarget {
  const text = connectionString.trim();
  const target: SqliteTarget = { path: text, memory: false, readOnly: false, mustExist: false, pragmas: [] };
  if (text === '') throw new Error('missing connection string');
  if (!/^file:/i.test(text)) {
    if (text.toLowerCase().startsWith(':memory:')) return { ...target, path: ':memory:', memory: true };
    return { ...target, path: resolve(text) };
  }
  const queryAt = text.indexOf('?');
  const location = queryAt >= 0 ? text.slice(0, queryAt) : text;
  const query = new URLSearchParams(queryAt >= 0 ? text.slice(queryAt + 1) : '');
  const mode = query.get('mode');
  if (location.toLowerCase() === 'file::memory:' || mode === 'memory') {
    return { ...target, path: ':memory:', memory: true, pragmas: pragmasOf(query) };
  }
  const path = location.startsWith('file://') ? fileURLToPath(location) : resolve(decodeURIComponent(location.slice('file:'.length)));
  if (mode !== null && !['ro', 'rw', 'rwc'].includes(mode)) throw new Error(`unsupported mode '${mode}' in the connection string`);
  return {
    path,
    memory: false,
    readOnly: mode === 'ro' || query.get('immutable') === '1',
    mustExist: mode === 'rw',
    pragmas: pragmasOf(query),
  };
}

function pragmasOf(query: URLSearchParams): Array<[string, string]> {
  return query.getAll('_pragma').map((pragma) => {
    const match = /^\s*([A-Za-z_]+)\s*\(\s*([\w.-]+)\s*\)\s*$/.exec(pragma);
    if (!match) throw new Error(`invalid _pragma '${pragma}' in the connection string (expected name(value))`);
    const name = match[1]!.toLowerCase();
    if (reservedPragmas.includes(name)) {
      throw new Error(`found forbidden option '_pragma=${name}' in the connection string; use the component metadata instead`);
    }
    return [name, match[2]!];
  });
}
