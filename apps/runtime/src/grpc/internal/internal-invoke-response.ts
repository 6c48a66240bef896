import * as grpc from '@grpc/grpc-js';
import type { InvokeResponse } from '@mecha/invocation';
import { grpcAnswerOf, type GrpcInvokeResponse } from '../app-channel/grpc-app-channel.ts';
import { httpStatusOfGrpcCode, statusJson, type GrpcCallStatus } from '../app-channel/grpc-status-to-http.ts';
import type { InternalInvokeResponse } from './internal-messages.ts';
import { fromInternalMetadata, grpcMetadataFromInternal, internalMetadataFromGrpc, toInternalMetadata } from './internal-metadata.ts';

/** Below 100 a status code is a gRPC code (the target app speaks gRPC), from 100 an HTTP status. */
export function isHttpStatus(code: number): boolean {
  return code >= 100;
}

function first(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

/**
 * Our app's answer as `InternalInvokeResponse`, the way daprd's app channels fill it. An
 * HTTP app: its status, its headers (without the length, which the next hop recomputes),
 * its content type in the message. A gRPC app: the gRPC status code with message and
 * details, its response headers and trailers, and the `Any` it answered (nothing on an
 * error). With `withData` the body is in `message.data` (CallLocal); without, it follows as
 * stream payloads.
 */
export function toInternalInvokeResponse(response: InvokeResponse, withData: boolean): InternalInvokeResponse {
  const answer = grpcAnswerOf(response);
  if (answer) {
    const ok = answer.status.code === grpc.status.OK;
    return {
      status: { code: answer.status.code, message: answer.status.message, details: answer.status.details },
      headers: internalMetadataFromGrpc(answer.headers),
      trailers: internalMetadataFromGrpc(answer.trailers),
      message: ok ? { data: withData ? { type_url: answer.dataTypeUrl, value: response.body } : null, content_type: answer.contentType } : null,
    };
  }
  const headers = { ...response.headers };
  delete headers['content-length'];
  return {
    status: { code: response.status, message: '', details: [] },
    headers: toInternalMetadata(headers),
    trailers: {},
    message: { data: withData ? { type_url: '', value: response.body } : null, content_type: first(headers['content-type']) },
  };
}

/** Whether our own answer carries a body: a gRPC app's failure has none on the wire. */
export function answerHasBody(response: InvokeResponse): boolean {
  const answer = grpcAnswerOf(response);
  return !answer || answer.status.code === grpc.status.OK;
}

/**
 * The answer of another sidecar as an HTTP-shaped response. An HTTP app's status, headers
 * and body come back as they were. A gRPC app's answer (a target with `--app-protocol grpc`)
 * becomes what daprd's HTTP API answers for it (200 with the data, or the code's HTTP status
 * with the status as JSON) and keeps the gRPC status, metadata and type URL for a gRPC caller.
 */
export function fromInternalInvokeResponse(wire: InternalInvokeResponse, body: Uint8Array): InvokeResponse | GrpcInvokeResponse {
  const code = wire.status?.code ?? 0;
  const headers = fromInternalMetadata(wire.headers);
  const message = wire.message;
  const dataTypeUrl = message?.data?.type_url ?? '';
  const contentType = dataTypeUrl ? 'application/x-protobuf' : message?.content_type;
  if (contentType) headers['content-type'] = contentType;
  if (isHttpStatus(code)) return { status: code, headers, body };
  const status: GrpcCallStatus = { code, message: wire.status?.message ?? '', details: wire.status?.details ?? [] };
  const grpcPart: GrpcInvokeResponse['grpc'] = {
    status,
    dataTypeUrl,
    contentType: message?.content_type ?? '',
    headers: grpcMetadataFromInternal(wire.headers),
    trailers: grpcMetadataFromInternal(wire.trailers),
  };
  if (code === grpc.status.OK) return { status: 200, headers, body, grpc: grpcPart };
  headers['content-type'] = 'application/json';
  return { status: httpStatusOfGrpcCode(code), headers, body: statusJson(status), grpc: grpcPart };
}
