import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * MQTT client ids. A subscriber's id names its session on the broker, where its queued and
 * unacknowledged messages wait, so it must come back unchanged after a restart, yet two live
 * connections must never share one (the broker would drop the older connection, and the two
 * would take the id from each other forever). Hence `<group>-<host>-<topic hash>-<slot>`: the
 * slot is the lowest number no other live process on this host holds (see `session-slot.ts`).
 */

/** Letters, digits, `_`, `.` and `-` only: the characters every broker accepts in a client id. */
export function clientIdPart(text: string, maxLength = 64): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, maxLength) || '_';
}

/** This host's name, as it appears in subscriber client ids. */
export function defaultInstanceName(): string {
  return clientIdPart(hostname(), 48);
}

/** The id of one subscriber session: stable for a group, host, subscription filter and slot. */
export function subscriberClientId(group: string, instance: string, filter: string, slot: number): string {
  const topicHash = createHash('sha256').update(filter).digest('hex').slice(0, 10);
  return `${clientIdPart(group)}-${clientIdPart(instance, 48)}-${topicHash}-${slot}`;
}

/** The publishing connection keeps no session, so a fresh random id is right for it. */
export function publisherClientId(base: string): string {
  return `${clientIdPart(base)}-pub-${randomBytes(5).toString('hex')}`;
}
