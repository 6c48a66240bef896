import { MechaError } from '@mecha/core';
import type { InvocationService, InvokeRequest } from '@mecha/invocation';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { rawBody, rawQuery } from '../request-helpers.ts';

/** Headers that describe one hop, or that only the sidecar may set; never forwarded. */
const dropped = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'te',
  'trailer',
  'proxy-authorization',
  'proxy-authenticate',
  'host',
  'content-length',
  'dapr-api-token',
  'dapr-app-id',
  'destination-app-id',
]);

function forwardedHeaders(request: FastifyRequest): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const listed = String(request.headers['connection'] ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase());
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || dropped.has(name) || listed.includes(name)) continue;
    out[name.startsWith('grpc-') ? `dapr-${name}` : name] = value;
  }
  return out;
}

async function invoke(
  invocation: InvocationService,
  appId: string,
  method: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const call: InvokeRequest = {
    method,
    httpVerb: request.method,
    query: rawQuery(request),
    headers: forwardedHeaders(request),
    body: rawBody(request),
  };
  const response = await invocation.invoke(decodeURIComponent(appId), call);
  for (const [name, value] of Object.entries(response.headers)) {
    if (dropped.has(name)) continue;
    reply.header(name, value);
  }
  return reply.code(response.status).send(Buffer.from(response.body));
}

export function registerInvokeRoutes(app: FastifyInstance, invocation: InvocationService): void {
  app.all<{ Params: { appId: string; '*': string } }>('/v1.0/invoke/:appId/method/*', (request, reply) =>
    invoke(invocation, request.params.appId, request.params['*'], request, reply),
  );

  // Any path daprd does not serve is an invocation when it names the app in `dapr-app-id`.
  app.setNotFoundHandler((request, reply) => {
    const header = request.headers['dapr-app-id'];
    const appId = Array.isArray(header) ? header[0] : header;
    if (!appId) {
      throw new MechaError('ERR_DIRECT_INVOKE', 'not-found', 'failed getting app id either from the URL path or the header dapr-app-id');
    }
    const path = request.url.split('?')[0]!.replace(/^\/+/, '');
    return invoke(invocation, appId, path, request, reply);
  });
}
