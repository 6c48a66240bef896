/**
 * The message every pub/sub target publishes: a JSON object naming its cell and sequence
 * number, the time it was published (`performance.now()` of the process that publishes and
 * also receives it, so one clock), and the same 1,024-character value the state rows store.
 */
export interface BenchMessage {
  /** Which measurement it belongs to; a late message of an earlier one is not counted. */
  cell: number;
  seq: number;
  /** `performance.now()` just before the publish call, in ms. */
  sentMs: number;
}

export function encodeMessage(message: BenchMessage, valueJson: string): string {
  return `{"cell":${message.cell},"seq":${message.seq},"sentMs":${message.sentMs},"value":${valueJson}}`;
}

/** The bench fields of a received message, or undefined when it is not one of ours. */
export function readMessage(parsed: unknown): BenchMessage | undefined {
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { cell, seq, sentMs } = parsed as Record<string, unknown>;
  if (typeof cell !== 'number' || typeof seq !== 'number' || typeof sentMs !== 'number') return undefined;
  return { cell, seq, sentMs };
}
