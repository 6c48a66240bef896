import { describe, expect, it } from 'vitest';
import { OffsetCommitter, type CommitRequest } from '../src/offset-committer.ts';

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
    committer.mark(0, '5');
    committer.mark(0, '6');
    open();
    await committer.flush();
    // 5 failed, and 6 (marked meanwhile) wins over putting 5 back.
    expect(broker.commits.at(-1)).toEqual({ 0: '6' });
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
