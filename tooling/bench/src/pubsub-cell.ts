import type { PubSubSectionName } from './cell-result.ts';
import type { BrokerKind } from './pubsub-brokers.ts';
import type { WindowResult } from './pubsub-window.ts';

/** `mechad`: published through mechad's HTTP API and delivered to its app; `bare`: the broker's client library alone. */
export type PubSubTarget = 'mechad' | 'bare';

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
