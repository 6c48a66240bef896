import { OutputBindingInvokeError, operationMissing } from '@mecha/bindings';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { BlockServices } from '../../block-services.ts';
import { isRecord, malformed, rawBody } from '../request-helpers.ts';

export interface OutputBindingCall {
  operation: string | undefined;
  data: Uint8Array;
  metadata: Record<string, string>;
}

/** A body field the way Go's JSON decoding finds it: the exact name first, else any case. */
function field(body: Record<string, unknown>, name: string): unknown {
  if (name in body) return body[name];
  const key = Object.keys(body).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : body[key];
}

/**
 * `{data, metadata, operation}` as daprd reads it. `data` may be any JSON value: a string
 * reaches the component as its text, anything else as its JSON; none (or null) as no bytes.
 */
export function parseOutputBindingBody(body: Buffer): OutputBindingCall {
  const fail = (detail: string) => malformed(`failed deserializing HTTP body: ${detail}`);
  if (body.length === 0) throw fail('EOF');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw fail((error as Error).message);
  }
  if (parsed === null) parsed = {};
  if (!isRecord(parsed)) throw fail('the body must be a JSON object {"data", "metadata", "operation"}');
  const operation = field(parsed, 'operation');
  if (operation !== undefined && operation !== null && typeof operation !== 'string') throw fail('operation must be a string');
  const rawMetadata = field(parsed, 'metadata');
  const metadata: Record<string, string> = {};
  if (rawMetadata !== undefined && rawMetadata !== null) {
    if (!isRecord(rawMetadata)) throw fail('metadata must be an object of strings');
    for (const [key, value] of Object.entries(rawMetadata)) {
      if (typeof value !== 'string') throw fail(`metadata.${key} must be a string`);
      metadata[key] = value;
    }
  }
  const data = field(parsed, 'data');
  const bytes = data === undefined || data === null ? new Uint8Array(0) : Buffer.from(typeof data === 'string' ? data : JSON.stringify(data));
  return { operation: operation ?? undefined, data: bytes, metadata };
}

const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const headerValue = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Response metadata as `metadata.<key>` headers, as daprd sends it (also on failure); entries HTTP cannot carry are left out. */
function metadataHeaders(reply: FastifyReply, metadata: Record<string, string>): void {
  for (const [key, value] of Object.entries(metadata)) {
    const name = `metadata.${key}`;
    if (headerName.test(name) && headerValue.test(value)) reply.header(name, value);
  }
}

/**
 * Dapr's bindings API: `POST|PUT /v1.0/bindings/{name}` invokes an output binding. The answer
 * is the binding's data (200, content type the binding's or `application/json`), or 204 when
 * it has none; its metadata comes back as `metadata.<key>` headers, also with an error.
 */
export function registerBindingRoutes(app: FastifyInstance, services: BlockServices): void {
  app.route<{ Params: { name: string } }>({
    method: ['POST', 'PUT'],
    url: '/v1.0/bindings/:name',
    handler: async (request, reply) => {
      const { name } = request.params;
      const call = parseOutputBindingBody(rawBody(request));
      // daprd checks for an operation before it looks the binding up.
      if (!call.operation) throw operationMissing(name);
      const binding = services.outputBinding(name);
      let response;
      try {
        response = await binding.invoke(call);
      } catch (error) {
        if (error instanceof OutputBindingInvokeError && error.response) metadataHeaders(reply, error.response.metadata);
        throw error;
      }
      metadataHeaders(reply, response.metadata);
      if (response.data.length === 0) return reply.code(204).send();
      return reply
        .code(200)
        .header('content-type', response.contentType || 'application/json')
        .send(Buffer.from(response.data.buffer, response.data.byteOffset, response.data.byteLength));
    },
  });
}
