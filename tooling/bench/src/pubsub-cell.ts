import type { PubSubSectionName } from './cell-result.ts';
import type { BrokerKind } from './pubsub-brokers.ts';
import type { WindowResult } from './pubsub-window.ts';

/**
 * `mechad`: published through mechad's HTTP API and delivered to its app, a message per request;
 * `mechad-bulk`: the same through Dapr's bulk publish and bulk subscribe APIs;
 * `bare`: the broker's client library alone.
 */
export type PubSubTarget = 'mechad' | 'mechad-bulk' | 'bare';

export const pubsubTargetNames: readonly PubSubTarget[] = ['mechad', 'mechad-bulk', 'bare'];

/**
 * The bulk subscription of the `mechad-bulk` app: batches of half the in-flight window, so two
 * are in flight and the loop never waits for one round trip to end before the next starts
 * (tried on Redis with a 64 window: 32 per batch gave 0.50 of bare, 64 gave 0.51, 16 gave 0.40
 * and 8 gave 0.46, single rounds on a busy machine), and a short time limit (Dapr's default is
 * 1 s) so a batch that cannot fill does not idle the loop.
 */
export function bulkSubscribeSettings(window: number): { maxMessagesCount: number; maxAwaitDurationMs: number } {
  return { maxMessagesCount: Math.max(1, Math.floor(window / 2)), maxAwaitDurationMs: 5 };
}

/** One measured pub/sub cell: one broker, one target, one in-flight limit (its median round). */
export interface PubSubCellResult extends WindowResult {
  section: PubSubSectionName;
  broker: BrokerKind;
  target: PubSubTarget;
  inflight: number;
  /** The process that published and received (the app with its publisher, or the bare client), % of one core. */
  driverCpu?: number;
  /** mechad, % of one core (mechad rows). */
  mechadCpu?: number;
  /** The broker's processes, % of one core. */
  brokerCpu?: number;
  /** The whole machine, % of all its cores. */
  machineCpu?: number;
  /** Everything else on the machine, % of one core. */
  otherCpu?: number;
  /** Delivered messages/s of every round, in the order they ran. */
  roundsMessagesPerSecond: number[];
}

export function findPubSubCell(cells: readonly PubSubCellResult[], section: PubSubSectionName, target: PubSubTarget, inflight: number): PubSubCellResult | undefined {
  return cells.find((cell) => cell.section === section && cell.target === target && cell.inflight === inflight);
}

export function sectionBroker(section: PubSubSectionName): BrokerKind {
  return section.slice('pubsub-'.length) as BrokerKind;
}
