import type { CellResult } from './cell-result.ts';

type Round = Omit<CellResult, 'target' | 'section'>;

/**
 * The round with the median throughput, whole (its latencies and CPU figures stay those of
 * one real measurement rather than a blend), with every round's req/s kept beside it so the
 * spread is visible. With an even count the lower middle round is taken.
 */
export function medianRound(rounds: readonly Round[]): Round {
  if (rounds.length === 0) throw new Error('medianRound needs at least one round');
  const sorted = [...rounds].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return { ...median, roundsRequestsPerSecond: rounds.map((round) => round.requestsPerSecond) };
}
