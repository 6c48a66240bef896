import type { CellResult } from './cell-result.ts';

type Round = Omit<CellResult, 'target' | 'section'>;

/**
 * The round whose `rate` is the median, whole (its latencies and CPU figures stay those of one
 * real measurement rather than a blend). With an even count the lower middle round is taken.
 */
export function medianBy<T>(rounds: readonly T[], rate: (round: T) => number): T {
  if (rounds.length === 0) throw new Error('a median needs at least one round');
  const sorted = [...rounds].sort((a, b) => rate(a) - rate(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** The median round by throughput, with every round's req/s kept beside it so the spread is visible. */
export function medianRound(rounds: readonly Round[]): Round {
  const median = medianBy(rounds, (round) => round.requestsPerSecond);
  return { ...median, roundsRequestsPerSecond: rounds.map((round) => round.requestsPerSecond) };
}
