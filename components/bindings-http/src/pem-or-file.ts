import { readFileSync } from 'node:fs';

/**
 * A certificate or key as Dapr's HTTP binding takes it: PEM text in the metadata value itself,
 * or else the path of a file holding it.
 */
export function pemOrFile(field: string, value: string): string {
  if (/-----BEGIN [A-Z0-9 ]+-----/.test(value)) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (error) {
    throw new Error(`${field} is neither PEM text nor a readable file: ${(error as Error).message}`);
  }
}
