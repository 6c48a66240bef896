import * as grpc from '@grpc/grpc-js';
import { withoutHopByHopHeaders, type InvokeRequest } from '@mecha/invocation';
import type { DaprHandlers } from '../handlers.ts';
import { unary } from '../handlers.ts';
import { grpcAnswerOf } from '../app-channel/grpc-app-channel.ts';
import { GrpcStatusError, httpAppError } from '../grpc-status.ts';
import type { GrpcApiContext } from './context.ts';
import { permanentHttpHeaders } from '../permanent-http-headers.ts';

interface InvokeServiceRequest {
  id: string;
  message: {
    method: string;
    data: { type_url: string; value: Buffer } | null;
    content_type: string;
    http_extension: { verb: string | number; querystring: string } | null;
  } | null;
}

/**
 * The HTTP verb of a gRPC caller's request. daprd's HTTP app channel refuses NONE ("invalid
 * HTTP verb"); Mecha sends such a call as POST instead, since InvokeRequest is HTTP-shaped and
 * a gRPC app ignores the verb. An unknown number is treated the same way.
 */
function verbOf(verb: string | number | undefined): string {
  return typeof verb === 'string' && verb !== 'NONE' ? verb : 'POST';
}

/** Call metadata as request headers, as daprd forwards it: binary (`-bin`) entries are left out. */
function headersOf(metadata: grpc.Metadata, contentType: string): InvokeRequest['headers'] {
  const headers: InvokeRequest['headers'] = {};
  for (const [name, values] of Object.entries(metadata.toJSON())) {
    if (name.endsWith('-bin') || name === 'content-length') continue;
    const texts = values.map(String);
    headers[name] = texts.length === 1 ? texts[0]! : texts;
  }
  // The message's content type, not gRPC's own, describes the body (daprd sets or clears it).
  if (contentType) headers['content-type'] = contentType;
  else delete headers['content-type'];
  return headers;
}

/** The app's response headers as gRPC response metadata, plus `dapr-http-status`. */
function responseMetadata(status: number, headers: InvokeRequest['headers']): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [name, value] of Object.entries(withoutHopByHopHeaders(headers, 'response'))) {
    if (name === 'traceparent' || name === 'tracestate') continue;
    const key = permanentHttpHeaders.has(name) || name.startsWith('grpc-') ? `dapr-${name}` : name;
    for (const one of Array.isArray(value) ? value : [value]) {
      try {
        metadata.add(key, one);
      } catch {
        // A header gRPC metadata cannot carry (a non-ASCII value, an odd name) is left out.
      }
    }
  }
  metadata.set('dapr-http-status', String(status));
  return metadata;
}

/**
 * InvokeService: the same InvocationService call as `/v1.0/invoke/<id>/method/<method>`. A
 * non-2xx answer from an HTTP app becomes daprd's gRPC error for it (code from the HTTP
 * status, ErrorInfo with `http.code` and the start of the body); the app's headers and
 * `dapr-http-status` go back as response metadata either way.
 */
export function invokeHandlers(context: GrpcApiContext): DaprHandlers {
  const { invocation } = context;
  return {
    InvokeService: unary(async (request: InvokeServiceRequest, call) => {
      const message = request.message;
      const contentType = message?.content_type ?? '';
      const controller = new AbortController();
      call.once('cancelled', () => controller.abort());
      const response = await invocation.invoke(request.id, {
        method: (message?.method ?? '').replace(/^\/+/, ''),
        httpVerb: verbOf(message?.http_extension?.verb),
        query: message?.http_extension?.querystring ?? '',
        headers: headersOf(call.metadata, contentType),
        body: message?.data?.value ?? Buffer.alloc(0),
        signal: controller.signal,
      });
      // A gRPC app (here or behind another sidecar) answered with a gRPC status: hand the
      // caller exactly that status, its details and the Any's type, as daprd does.
      const fromGrpcApp = grpcAnswerOf(response);
      if (fromGrpcApp) {
        call.sendMetadata(fromGrpcApp.headers);
        if (fromGrpcApp.status.code !== grpc.status.OK) {
          throw new GrpcStatusError({ code: fromGrpcApp.status.code, details: fromGrpcApp.status.message, metadata: fromGrpcApp.trailers });
        }
        return { data: { type_url: fromGrpcApp.dataTypeUrl, value: Buffer.from(response.body) }, content_type: fromGrpcApp.contentType };
      }
      call.sendMetadata(responseMetadata(response.status, response.headers));
      if (response.status < 200 || response.status >= 300) throw httpAppError(response.status, response.body);
      const answered = response.headers['content-type'];
      return {
        data: { type_url: '', value: Buffer.from(response.body) },
        content_type: (Array.isArray(answered) ? answered[0] : answered) ?? '',
      };
    }),
  };
}
