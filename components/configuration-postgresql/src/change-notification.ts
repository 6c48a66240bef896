import type { ConfigurationItem } from '@mecha/configuration';

/** One row change as the table's trigger reports it. */
export interface ChangeNotification {
  key: string;
  /** The item to hand subscribers: the new row, or an empty item for a deleted row. */
  item: ConfigurationItem;
}

const asText = (value: unknown): string => (value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value));

/** A METADATA value (JSON object, or JSON text of one) as string key/values. */
export function metadataOf(value: unknown): Record<string, string> {
  let parsed = value;
  if (typeof parsed === 'string') {
    try {
      parsed = JSON.parse(parsed) as unknown;
    } catch {
      return {};
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  return Object.fromEntries(Object.entries(parsed).map(([name, entry]) => [name, asText(entry)]));
}

/** The field of `record` named `name`, whatever its case (unquoted SQL columns are lower-case, Dapr's docs write them upper-case). */
function field(record: Record<string, unknown>, name: string): unknown {
  for (const [candidate, value] of Object.entries(record)) if (candidate.toLowerCase() === name) return value;
  return undefined;
}

/**
 * Reads the payload of Dapr's documented trigger: `{"table", "action", "data": <row as JSON>}`
 * with the row's KEY, VALUE, VERSION and METADATA columns. Dapr reports a DELETE with the old
 * row's values; Mecha reports it as an empty item, as a deleted key is reported by every other
 * configuration store. Answers undefined for a payload in another shape.
 */
export function parseChangeNotification(payload: string | undefined): ChangeNotification | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload ?? '');
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const data = field(parsed as Record<string, unknown>, 'data');
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const row = data as Record<string, unknown>;
  const key = field(row, 'key');
  if (typeof key !== 'string' && typeof key !== 'number') return undefined;
  const action = asText(field(parsed as Record<string, unknown>, 'action')).toUpperCase();
  if (action === 'DELETE') return { key: String(key), item: { value: '', version: '', metadata: {} } };
  return {
    key: String(key),
    item: { value: asText(field(row, 'value')), version: asText(field(row, 'version')), metadata: metadataOf(field(row, 'metadata')) },
  };
}
