import { describe, expect, it } from 'vitest';
import { daprProtos } from '../../src/grpc/protos.ts';
import { blockOfMethod } from '../../src/grpc/unimplemented.ts';

/** Every method of the Dapr service names a real building block when it answers UNIMPLEMENTED. */
describe('blockOfMethod', () => {
  it.each([
    ['EncryptAlpha1', 'cryptography'],
    ['DecryptAlpha1', 'cryptography'],
    ['SubtleSignAlpha1', 'cryptography'],
    ['GetSecret', 'secrets'],
    ['InvokeActor', 'actors'],
    ['ScheduleJobAlpha1', 'jobs'],
    ['StartWorkflowBeta1', 'workflow'],
    ['SubscribeConfiguration', 'configuration'],
    ['TryLockAlpha1', 'distributed lock'],
    ['ConverseAlpha2', 'conversation'],
    ['InvokeBinding', 'bindings'],
  ])('%s → %s', (method, block) => {
    expect(blockOfMethod(method)).toBe(block);
  });

  it('knows a block for every method of dapr.proto.runtime.v1.Dapr', () => {
    const unnamed = Object.keys(daprProtos().dapr.service).filter((method) => blockOfMethod(method) === 'this');
    expect(unnamed).toEqual([]);
  });
});
