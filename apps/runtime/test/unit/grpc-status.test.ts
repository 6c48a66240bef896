import * as grpc from '@grpc/grpc-js';
import { MechaError, type ErrorKind } from '@mecha/core';
import { describe, expect, it } from 'vitest';
import { grpcCodeOf, grpcCodeOfHttpStatus, httpAppError, toGrpcError } from '../../src/grpc/grpc-status.ts';
import { richError } from '../support/dapr-grpc-client.ts';

describe('gRPC status mapping (daprd pkg/api/errors, pkg/api/grpc)', () => {
  it.each([
    ['ERR_STATE_STORE_NOT_FOUND', 'invalid-argument', undefined, grpc.status.INVALID_ARGUMENT],
    ['ERR_STATE_STORE_NOT_CONFIGURED', 'failed-precondition', undefined, grpc.status.FAILED_PRECONDITION],
    ['ERR_STATE_STORE_NOT_SUPPORTED', 'internal', 'DAPR_STATE_TRANSACTIONS_NOT_SUPPORTED', grpc.status.UNIMPLEMENTED],
    ['ERR_STATE_STORE_NOT_SUPPORTED', 'internal', 'DAPR_STATE_QUERYING_NOT_SUPPORTED', grpc.status.INTERNAL],
    ['ERR_STATE_STORE_NOT_SUPPORTED', 'invalid-argument', 'DAPR_STATE_ETAG_NOT_SUPPORTED', grpc.status.INVALID_ARGUMENT],
    ['ERR_STATE_SAVE', 'conflict', undefined, grpc.status.ABORTED],
    ['ERR_STATE_DELETE', 'invalid-argument', undefined, grpc.status.INVALID_ARGUMENT],
    ['ERR_STATE_SAVE', 'internal', undefined, grpc.status.INTERNAL],
    ['ERR_NOT_SUPPORTED_STATE_OPERATION', 'invalid-argument', undefined, grpc.status.UNIMPLEMENTED],
    ['ERR_STATE_TRANSACTION', 'internal', undefined, grpc.status.INTERNAL],
    ['ERR_PUBSUB_NOT_FOUND', 'not-found', 'DAPR_PUBSUB_NOT_FOUND', grpc.status.INVALID_ARGUMENT],
    ['ERR_PUBSUB_NOT_FOUND', 'not-found', 'DAPR_PUBSUB_TEST_NOT_FOUND', grpc.status.NOT_FOUND],
    ['ERR_PUBSUB_EMPTY', 'not-found', undefined, grpc.status.INVALID_ARGUMENT],
    ['ERR_TOPIC_NAME_EMPTY', 'not-found', undefined, grpc.status.INVALID_ARGUMENT],
    ['ERR_PUBSUB_NOT_CONFIGURED', 'invalid-argument', undefined, grpc.status.FAILED_PRECONDITION],
    ['ERR_PUBSUB_CLOUD_EVENTS_SER', 'internal', undefined, grpc.status.INVALID_ARGUMENT],
    ['ERR_PUBSUB_FORBIDDEN', 'permission-denied', undefined, grpc.status.PERMISSION_DENIED],
    ['ERR_PUBSUB_PUBLISH_MESSAGE', 'internal', undefined, grpc.status.INTERNAL],
    ['ERR_DIRECT_INVOKE', 'internal', undefined, grpc.status.INTERNAL],
    ['ERR_DIRECT_INVOKE', 'permission-denied', undefined, grpc.status.PERMISSION_DENIED],
  ] as const)('%s (%s, %s) → %d', (code, kind, reason, expected) => {
    expect(grpcCodeOf(new MechaError(code, kind as ErrorKind, 'x', reason ? { reason } : {}))).toBe(expected);
  });

  it('maps HTTP statuses of an invoked app as daprd CodeFromHTTPStatus does', () => {
    expect([200, 204, 299].map(grpcCodeOfHttpStatus)).toEqual([grpc.status.OK, grpc.status.OK, grpc.status.OK]);
    expect(grpcCodeOfHttpStatus(302)).toBe(grpc.status.UNKNOWN);
    expect(grpcCodeOfHttpStatus(400)).toBe(grpc.status.INTERNAL);
    expect(grpcCodeOfHttpStatus(401)).toBe(grpc.status.UNAUTHENTICATED);
    expect(grpcCodeOfHttpStatus(408)).toBe(grpc.status.CANCELLED);
    expect(grpcCodeOfHttpStatus(409)).toBe(grpc.status.ALREADY_EXISTS);
    expect(grpcCodeOfHttpStatus(429)).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(grpcCodeOfHttpStatus(504)).toBe(grpc.status.DEADLINE_EXCEEDED);
  });

  it('puts ResourceInfo before ErrorInfo, as daprd orders details', () => {
    const status = toGrpcError(new MechaError('ERR_STATE_SAVE', 'conflict', 'mismatch', { resource: { type: 'state', name: 's' } }));
    const rich = richError(status as { code: number; details: string; metadata: grpc.Metadata });
    expect(rich.detailTypes).toEqual(['google.rpc.ResourceInfo', 'google.rpc.ErrorInfo']);
    expect(rich.errorInfo).toMatchObject({ reason: 'ERR_STATE_SAVE', domain: 'dapr.io', metadata: { errorCode: 'ERR_STATE_SAVE' } });
  });

  it('keeps at most 63 bytes of the app body in ErrorInfo and passes a decided status through', () => {
    const error = httpAppError(404, Buffer.from('x'.repeat(100)));
    const status = toGrpcError(error);
    expect(status.code).toBe(grpc.status.NOT_FOUND);
    expect(status.details).toBe('Not Found');
    const rich = richError(status as { code: number; details: string; metadata: grpc.Metadata });
    expect(rich.errorInfo).toMatchObject({ reason: 'Not Found', metadata: { 'http.code': '404', 'http.error_message': 'x'.repeat(63) } });
    const short = richError(toGrpcError(httpAppError(503, Buffer.from('busy'))) as { code: number; details: string; metadata: grpc.Metadata });
    expect(short.errorInfo?.metadata['http.error_message']).toBe('busy');
  });

  it('anything that is not a MechaError is INTERNAL with its message', () => {
    expect(toGrpcError(new TypeError('boom'))).toMatchObject({ code: grpc.status.INTERNAL, details: 'boom' });
  });
});
