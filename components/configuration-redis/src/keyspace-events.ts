/** The keyspace events Dapr's `configuration.redis` turns on: keyspace channel, generic and string commands, expiry, eviction. */
export const requiredKeyspaceEvents = 'Kg$xe';

/** What Redis's `A` flag stands for (every class of event except key-miss and new-key). */
const aliasOfAll = 'g$lshzxetd';

/**
 * The `notify-keyspace-events` setting that keeps every event class the server already
 * publishes and adds the ones configuration subscriptions need. Dapr overwrites the setting
 * with `Kg$xe`; merging instead leaves other users of keyspace events (keyevent channels, hash
 * or stream events) working. Answers `current` unchanged when nothing is missing.
 */
export function mergeKeyspaceEvents(current: string, required = requiredKeyspaceEvents): string {
  const has = (flag: string) => current.includes(flag) || (current.includes('A') && aliasOfAll.includes(flag));
  const missing = [...required].filter((flag) => !has(flag));
  return missing.length === 0 ? current : current + missing.join('');
}
