import { MechaError } from '@mecha/core';
import { describe, expect, it } from 'vitest';
import { errorBody, httpStatusOf, toHttpError } from '../../src/http/error-response.ts';

describe('HTTP error mapping', () => {
  it.each([
    ['ERR_STATE_STORE_NOT_FOUND', 'invalid-argument', 400],
    ['ERR_STATE_STORE_NOT_CONFIGURED', 'failed-precondition', 500],
    ['ERR_STATE_STORE_NOT_SUPPORTED', 'internal', 500],
    ['ERR_STATE_SAVE', 'conflict', 409],
    ['ERR_PUBSUB_NOT_FOUND', 'not-found', 404],
    ['ERR_PUBSUB_FORBIDDEN', 'permission-denied', 403],
    ['ERR_DIRECT_INVOKE', 'internal', 500],
    ['ERR_DIRECT_INVOKE', 'not-found', 404],
  ] as const)('%s (%s) → %d', (code, kind, status) => {
    expect(httpStatusOf(new MechaError(code, kind, 'x'))).toBe(status);
  });

  it('adds ResourceInfo and ErrorInfo details when the error carries them', () => {
    const error = new MechaError('ERR_STATE_SAVE', 'conflict', 'failed saving state in state store s: mismatch', {
      reason: 'DAPR_STATE_ETAG_MISMATCH',
      resource: { type: 'state', name: 's' },
    });
    expect(errorBody(error)).toEqual({
      errorCode: 'ERR_STATE_SAVE',
      message: 'failed saving state in state store s: mismatch',
      details: [
        expect.objectContaining({ '@type': 'type.googleapis.com/google.rpc.ResourceInfo', resource_name: 's', resource_type: 'state' }),
        expect.objectContaining({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'DAPR_STATE_ETAG_MISMATCH', domain: 'dapr.io' }),
      ],
    });
  });

  it('answers 500 ERR_INTERNAL for anything else thrown', () => {
    expect(toHttpError(new TypeError('boom'))).toEqual({ status: 500, body: { errorCode: 'ERR_INTERNAL', message: 'boom' } });
  });
});
