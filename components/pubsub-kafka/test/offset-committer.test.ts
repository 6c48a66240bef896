import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  BACKGROUND_COMMIT_INTERVAL_MS,
  OffsetCommitter,
  type CommitRequest,
} from '../src/offset-committer.ts';

function recorder() {
  const commits: Array<Record<number, string>> = [];
  let fail = 0;
  let gate: Promise<void> = Promise.resolve();
  return {
    commits,
    failNext(times: number) {
      fail = times;
    },
    hold(): () => void {
      let open: () => void = () => {};
      gate = new Promise<void>((resolve) => (open = resolve));
      return open;
    },
    commit: async (request: CommitRequest) => {
      await gate;
      if (fail > 0) {
        fail--;
        throw new Error('coordinator moved');
      }
      commits.push(
        Object.fromEntries(
          request.topics[0]!.partitions.map(({ partition, offset }) => [partition, offset]),
        ),
      );
    },
  };
}

describe('OffsetCommitter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('coalesces marks made while a commit is on the wire', async () => {
    const broker = recorder();
    const committer = new OffsetCommitter('t', () => {});
    committer.use(broker.commit);
    const open = broker.hold();
    committer.mark(0, '1');
    committer.mark(0, '2');
    committer.mark(1, '5');
    committer.mark(0, '3');
    open();
    await committer.flush();
    expect(broker.commits).toEqual([{ 0: '1' }, { 0: '3', 1: '5' }]);
    expect(committer.pending.size).toBe(0);
  });

  it('keeps a failed commit for the next attempt (flush tries once more), unless a newer mark replaced it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const broker = recorder();
    const errors: unknown[] = [];
    const committer = new OffsetCommitter('t', (error) => errors.push(error));
    committer.use(broker.commit);
    broker.failNext(1);
    committer.mark(0, '4');
    committer.mark(1, '9');
    await committer.flush();
    expect(errors).toHaveLength(1);
    expect(broker.commits).toEqual([{ 0: '4', 1: '9' }]);

    broker.failNext(1);
    const open = broker.hold();
    // Long enough after the last commit for the next mark to go out at once.
    await vi.advanceTimersByTimeAsync(BACKGROUND_COMMIT_INTERVAL_MS);
    committer.mark(0, '5');
    committer.mark(0, '6');
    open();
    await committer.flush();
    // 5 failed, and 6 (marked meanwhile) wins over putting 5 back.
    expect(broker.commits.at(-1)).toEqual({ 0: '6' });
  });

  describe('in the background', () => {
    it('commits what was marked during a commit once the interval has passed, not at once', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
      const broker = recorder();
      const committer = new OffsetCommitter('t', () => {});
      committer.use(broker.commit);
      const open = broker.hold();
      committer.mark(0, '1');
      committer.mark(0, '2');
      committer.mark(1, '7');
      open();
      await vi.advanceTimersByTimeAsync(0);
      expect(broker.commits).toEqual([{ 0: '1' }]);
      expect(Object.fromEntries(committer.pending)).toEqual({ 0: '2', 1: '7' });
      committer.mark(0, '3');
      await vi.advanceTimersByTimeAsync(BACKGROUND_COMMIT_INTERVAL_MS - 10);
      expect(broker.commits).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(10);
      expect(broker.commits).toEqual([{ 0: '1' }, { 0: '3', 1: '7' }]);
      expect(committer.pending.size).toBe(0);
    });

    it('lets flush commit at once what waits for the interval', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
      const broker = recorder();
      const committer = new OffsetCommitter('t', () => {});
      committer.use(broker.commit);
      committer.mark(0, '1');
      await vi.advanceTimersByTimeAsync(0);
      committer.mark(0, '2');
      await vi.advanceTimersByTimeAsync(0);
      expect(broker.commits).toEqual([{ 0: '1' }]);
      await committer.flush();
      expect(broker.commits).toEqual([{ 0: '1' }, { 0: '2' }]);
      // The timer the flush made unnecessary commits nothing more.
      await vi.advanceTimersByTimeAsync(BACKGROUND_COMMIT_INTERVAL_MS * 2);
      expect(broker.commits).toHaveLength(2);
    });

    it('tries a failed background commit again after the interval', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
      const broker = recorder();
      const errors: unknown[] = [];
      const committer = new OffsetCommitter('t', (error) => errors.push(error));
      committer.use(broker.commit);
      broker.failNext(1);
      committer.mark(2, '11');
      await vi.advanceTimersByTimeAsync(0);
      expect(errors).toHaveLength(1);
      expect(broker.commits).toEqual([]);
      await vi.advanceTimersByTimeAsync(BACKGROUND_COMMIT_INTERVAL_MS);
      expect(broker.commits).toEqual([{ 2: '11' }]);
    });
  });

  it('waits for a commit function and forgets partitions it no longer owns', async () => {
    const broker = recorder();
    const committer = new OffsetCommitter('t', () => {});
    committer.mark(0, '1');
    committer.mark(3, '8');
    await committer.flush();
    expect(broker.commits).toEqual([]);
    committer.retain([3]);
    committer.use(broker.commit);
    await committer.flush();
    expect(broker.commits).toEqual([{ 3: '8' }]);
  });
});
