import * as grpc from '@grpc/grpc-js';
import { OutputBindingInvokeError, operationMissing } from '@mecha/bindings';
import type { DaprHandlers } from '../handlers.ts';
import { unary } from '../handlers.ts';
import type { GrpcApiContext } from './context.ts';

interface InvokeBindingRequest {
  name: string;
  data: Buffer;
  metadata: Record<string, string>;
  operation: string;
}

/** Call metadata that is transport or credentials, never request metadata for a binding. */
function isTransportKey(key: string): boolean {
  return key.startsWith(':') || key.startsWith('grpc-') || key.endsWith('-bin') || ['content-type', 'te', 'user-agent', 'accept-encoding', 'dapr-api-token'].includes(key);
}

/** The binding's response metadata as `metadata.<key>` response headers, as daprd sets them (keys lower-cased, as gRPC requires). */
function responseHeaders(metadata: Record<string, string>): grpc.Metadata {
  const headers = new grpc.Metadata();
  for (const [key, value] of Object.entries(metadata)) {
    try {
      headers.add(`metadata.${key.toLowerCase()}`, value);
    } catch {
      // A key or value gRPC cannot carry is left out rather than failing the call.
    }
  }
  return headers;
}

/**
 * InvokeBinding, over the same BindingsService as the HTTP API. As in daprd, the caller's
 * call metadata joins the request metadata (without overriding it, except trace context), and
 * the response metadata also comes back as `metadata.<key>` headers, even with an error.
 */
export function bindingHandlers(context: GrpcApiContext): DaprHandlers {
  const { services } = context;
  return {
    InvokeBinding: unary(async (request: InvokeBindingRequest, call) => {
      const metadata: Record<string, string> = { ...request.metadata };
      for (const [key, values] of Object.entries(call.metadata.getMap())) {
        if (isTransportKey(key) || typeof values !== 'string') continue;
        if (metadata[key] === undefined || key === 'traceparent' || key === 'tracestate') metadata[key] = values;
      }
      if (!request.operation) throw operationMissing(request.name);
      const binding = services.outputBinding(request.name);
      let response;
      try {
        response = await binding.invoke({ operation: request.operation, data: request.data ?? Buffer.alloc(0), metadata });
      } catch (error) {
        if (error instanceof OutputBindingInvokeError && error.response) call.sendMetadata(responseHeaders(error.response.metadata));
        throw error;
      }
      call.sendMetadata(responseHeaders(response.metadata));
      return { data: Buffer.from(response.data), metadata: response.metadata };
    }),
  };
}
