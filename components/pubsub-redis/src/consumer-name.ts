import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * A name no other process uses: two sidecars of one app share the consumer group, and each
 * must own its pending entries so a survivor can tell a dead one's messages from its own.
 * Host and pid make `XINFO CONSUMERS` readable; the random part keeps a restarted process
 * (same pid in a fresh container) apart from its predecessor.
 */
export function instanceName(): string {
  const host = hostname().replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || 'host';
  return `${host}-${process.pid}-${randomBytes(4).toString('hex')}`;
}
