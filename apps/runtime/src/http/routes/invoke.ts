import { MechaError } from '@mecha/core';
import { withoutHopByHopHeaders, type InvocationService, type InvokeRequest } from '@mecha/invocation';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { rawBody, rawQuery } from '../request-helpers.ts';

/** Cancels the call to the app when the caller goes away, so a slow app does not pile up work. */
function abortOnDisconnect(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  // The response's 'close' comes either after it was sent or when the connection dropped.
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) controller.abort();
  });
  return controller.signal;
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
    // The invocation block strips and sets the headers Dapr defines (dapr-app-id, caller ids, ...).
    headers: withoutHopByHopHeaders(request.headers, 'request'),
    body: rawBody(request),
    signal: abortOnDisconnect(reply),
  };
  const response = await invocation.invoke(decodeURIComponent(appId), call);
  for (const [name, value] of Object.entries(withoutHopByHopHeaders(response.headers, 'response'))) {
    // The reply computes its own length from the buffered body.
    if (name !== 'content-length') reply.header(name, value);
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
