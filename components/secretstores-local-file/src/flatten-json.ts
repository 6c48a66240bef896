/**
 * Flattens a JSON value into path → string: nested keys (and array indexes) joined with
 * `separator`, leaves turned into strings (numbers and booleans as JSON writes them, null as
 * an empty string), the way Dapr's local file store reads a secrets file.
 */
export function flattenJson(value: unknown, separator: string, prefix = '', into: Record<string, string> = {}): Record<string, string> {
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      flattenJson(child, separator, prefix === '' ? key : `${prefix}${separator}${key}`, into);
    }
    return into;
  }
  into[prefix] = value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return into;
}
