import {
  CALLEE_APP_ID_HEADER,
  CALLER_APP_ID_HEADER,
  CALLER_NAMESPACE_HEADER,
  FORWARDED_BY_HEADER,
  FORWARDED_NAMESPACE_HEADER,
  parseTargetAppId,
  type RemoteCall,
} from '@mecha/invocation';
import type { GrpcInvokeRequest } from '../app-channel/grpc-app-channel.ts';
import { verbFromWire, verbToWire } from './http-verb.ts';
import type { InternalInvokeRequest } from './internal-messages.ts';
import { firstMetadataValue, fromInternalMetadata, toInternalMetadata } from './internal-metadata.ts';

/** daprd names the app it meant to reach on every call, so the receiver can tell a stale address. */
export const DESTINATION_APP_ID = 'destination-app-id';

/** Content type of a payload that arrives as a typed protobuf `Any` (daprd's rule). */
const protobufContentType = 'application/x-protobuf';

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * A call to another sidecar as `InternalInvokeRequest`: the caller's headers as metadata,
 * plus the caller and callee ids daprd stamps on every call it sends. With `withData` the
 * body travels in `message.data` (CallLocal); without, it follows as stream payloads.
 */
export function toInternalInvokeRequest(call: RemoteCall, withData: boolean): InternalInvokeRequest {
  const request: GrpcInvokeRequest = call.request;
  const target = parseTargetAppId(call.targetAppId).appId;
  const metadata = toInternalMetadata(request.headers);
  metadata[CALLER_APP_ID_HEADER] = { values: [call.callerAppId] };
  metadata[CALLER_NAMESPACE_HEADER] = { values: [call.callerNamespace] };
  metadata[CALLEE_APP_ID_HEADER] = { values: [target] };
  metadata[DESTINATION_APP_ID] = { values: [target] };
  const verb = verbToWire(request.httpVerb);
  return {
    ver: 'V1',
    metadata,
    message: {
      method: request.method,
      // Only the leading message's `Any` can say what type the payload is; its bytes follow as payloads when streamed.
      data: withData || request.dataTypeUrl ? { type_url: request.dataTypeUrl ?? '', value: withData ? request.body : new Uint8Array(0) } : null,
      content_type: first(request.headers['content-type']) ?? '',
      // A gRPC caller without HTTP semantics sends no extension, as daprd passes it on.
      http_extension: verb === 'NONE' && !request.query ? null : { verb, querystring: request.query },
    },
    actor: null,
  };
}

/**
 * A call another sidecar sent us, as the request for our own app. The caller's id and
 * namespace become the forwarding mark, so the invocation block stamps them for the app
 * (`dapr-caller-app-id`) and never forwards the call again.
 */
export function fromInternalInvokeRequest(wire: InternalInvokeRequest, method: string, body: Uint8Array, appIsHttp: boolean): GrpcInvokeRequest {
  const message = wire.message!;
  const headers = fromInternalMetadata(wire.metadata);
  const dataTypeUrl = message.data?.type_url ?? '';
  // An HTTP app learns of a typed payload by its content type; a gRPC app gets the type URL itself.
  const contentType = dataTypeUrl && appIsHttp ? protobufContentType : message.content_type;
  if (contentType) headers['content-type'] = contentType;
  const callerAppId = firstMetadataValue(wire.metadata, CALLER_APP_ID_HEADER);
  const callerNamespace = firstMetadataValue(wire.metadata, CALLER_NAMESPACE_HEADER);
  if (callerAppId) headers[FORWARDED_BY_HEADER] = callerAppId;
  else delete headers[FORWARDED_BY_HEADER];
  if (callerNamespace) headers[FORWARDED_NAMESPACE_HEADER] = callerNamespace;
  else delete headers[FORWARDED_NAMESPACE_HEADER];
  return {
    method,
    httpVerb: verbFromWire(message.http_extension?.verb),
    query: message.http_extension?.querystring ?? '',
    headers,
    body,
    ...(dataTypeUrl ? { dataTypeUrl } : {}),
  };
}
