import { describe, expect, it } from 'vitest';
import { AckBatch } from '../src/ack-batch.ts';

const afterIo = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('AckBatch', () => {
  it('sends the ids due in one round of I/O as one command and settles each caller with it', async () => {
    const sent: string[][] = [];
    const acks = new AckBatch(async (ids) => {
      sent.push(ids);
      return ids.length;
    });
    const first = [acks.ack('1-0'), acks.ack('1-1'), acks.ack('2-0')];
    expect(sent).toEqual([]);
    await Promise.all(first);
    expect(sent).toEqual([['1-0', '1-1', '2-0']]);
    await acks.ack('3-0');
    expect(sent).toEqual([['1-0', '1-1', '2-0'], ['3-0']]);
  });

  it('rejects every caller of a failed command, and the next ids go in a command of their own', async () => {
    let fail = true;
    const sent: string[][] = [];
    const acks = new AckBatch((ids) => {
      sent.push(ids);
      if (fail) return Promise.reject(new Error('connection lost'));
      return Promise.resolve(ids.length);
    });
    const outcomes = await Promise.allSettled([acks.ack('1-0'), acks.ack('1-1')]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
    fail = false;
    await acks.ack('1-0');
    expect(sent).toEqual([['1-0', '1-1'], ['1-0']]);
  });

  it('rejects the callers when sending throws at once', async () => {
    const acks = new AckBatch(() => {
      throw new Error('the connection is closed');
    });
    await expect(acks.ack('1-0')).rejects.toThrow('the connection is closed');
    await afterIo();
  });
});
