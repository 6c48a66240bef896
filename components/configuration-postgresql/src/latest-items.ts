import type { ConfigurationItems } from '@mecha/configuration';
import { metadataOf } from './change-notification.ts';

export interface ConfigurationRow {
  key: string;
  value: string | null;
  version: string | null;
  metadata: unknown;
}

/** A version as a number for comparison; one that is not a whole number ranks below every number. */
const rank = (version: string) => (/^[+-]?\d+$/.test(version.trim()) ? Number(version) : -1);

/**
 * One item per key, as Dapr picks it when Dapr's schema (no unique key) holds several rows for
 * a key: the row with the greatest numeric version; the first row read wins a tie.
 */
export function latestItems(rows: readonly ConfigurationRow[]): ConfigurationItems {
  const items: ConfigurationItems = {};
  for (const row of rows) {
    const version = row.version ?? '';
    const current = items[row.key];
    if (current && rank(version) <= rank(current.version)) continue;
    items[row.key] = { value: row.value ?? '', version, metadata: metadataOf(row.metadata) };
  }
  return items;
}
