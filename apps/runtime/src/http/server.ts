import { timingSafeEqual } from 'node:crypto';
import { isMechaError, type Logger } from '@mecha/core';
import type { InvocationService } from '@mecha/invocation';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { BlockServices } from '../block-services.ts';
import type { ComponentHealth } from '../component-health.ts';
import type { SidecarOptions } from '../config/options.ts';
import type { Readiness } from '../readiness.ts';
import type { RuntimeMetadata } from '../runtime-metadata.ts';
import { toHttpError } from './error-response.ts';
import { registerBindingRoutes } from './routes/bindings.ts';
import { registerConfigurationRoutes } from './routes/configuration.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerInvokeRoutes } from './routes/invoke.ts';
import { registerLockRoutes } from './routes/lock.ts';
import { registerMetadataRoutes } from './routes/metadata.ts';
import { registerPublishRoutes } from './routes/publish.ts';
import { registerSecretRoutes } from './routes/secrets.ts';
import { registerShutdownRoutes } from './routes/shutdown.ts';
import { registerStateRoutes } from './routes/state.ts';

export interface HttpApiContext {
  options: SidecarOptions;
  services: BlockServices;
  invocation: InvocationService;
  readiness: Readiness;
  /** Live health of the components that can probe their backend. */
  health: ComponentHealth;
  metadata: RuntimeMetadata;
  shutdown: (reason: string) => void;
  logger: Logger;
}

function tokenMatches(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Dapr's HTTP API v1.0 as a thin adapter: parse, call a block service, answer in Dapr's format. */
export function createHttpApi(context: HttpApiContext): FastifyInstance {
  const { options, logger } = context;
  const app = Fastify({
    logger: false,
    bodyLimit: options.maxBodyBytes,
    routerOptions: { maxParamLength: 16 * 1024 },
    keepAliveTimeout: 65_000,
    // Large state keys and invocation paths are legitimate; only the body size is limited by flag.
    http: options.maxHeaderBytes > 16 * 1024 ? { maxHeaderSize: options.maxHeaderBytes } : {},
    return503OnClosing: true,
    // Errors Node's HTTP parser raises before a route runs (oversized headers, bad framing)
    // still answer in Dapr's error format.
    clientErrorHandler: (error: Error & { code?: string }, socket) => {
      const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
      const status = tooLarge ? 431 : 400;
      const body = JSON.stringify({
        errorCode: 'ERR_MALFORMED_REQUEST',
        message: tooLarge ? 'request line and headers are larger than --read-buffer-size allows' : `malformed HTTP request: ${error.message}`,
      });
      if (socket.writable) {
        socket.end(`HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      } else {
        socket.destroy(error);
      }
    },
  });

  // Bodies are read as bytes: state values and invocation payloads pass through untouched,
  // and each route decides how to decode them (and answers Dapr's error when it cannot).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  if (options.apiToken) {
    const token = options.apiToken;
    app.addHook('onRequest', async (request, reply) => {
      if (request.url.startsWith('/v1.0/healthz')) return;
      if (!tokenMatches(request.headers['dapr-api-token'], token)) {
        return reply.code(401).type('text/plain').send('invalid api token');
      }
    });
  }

  if (options.enableApiLogging) {
    const apiLog = logger.child({ scope: 'mechad.runtime.http-info' });
    app.addHook('onResponse', async (request, reply) => {
      apiLog.info({ method: request.method, path: request.url.split('?')[0], code: reply.statusCode, duration: reply.elapsedTime }, 'HTTP API called');
    });
  }

  // While draining, keep-alive connections that finish their request are closed at once, so
  // the listener can close within the grace period (no per-request hook on the hot path).
  let idleSweep: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => {
    idleSweep = setInterval(() => app.server.closeIdleConnections(), 20);
  });
  app.addHook('onClose', async () => clearInterval(idleSweep));

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      // A body nested so deeply that encoding it overflows the stack is a bad request, not a crash.
      return reply.code(400).send({ errorCode: 'ERR_MALFORMED_REQUEST', message: 'the request body is nested too deeply' });
    }
    if (!isMechaError(error)) {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return reply
          .code(413)
          .send({ errorCode: 'ERR_BODY_TOO_LARGE', message: `request body is larger than the maximum of ${options.maxBodyBytes} bytes (--max-body-size)` });
      }
      if (typeof error.statusCode === 'number' && error.statusCode < 500) {
        return reply.code(error.statusCode).send({ errorCode: 'ERR_MALFORMED_REQUEST', message: error.message });
      }
      logger.error({ err: error, path: request.url }, 'unexpected error in an API handler');
    }
    const { status, body } = toHttpError(error);
    return reply.code(status).send(body);
  });

  registerHealthRoutes(app, context.readiness, context.health, options.appId);
  registerMetadataRoutes(app, context.metadata, context.health);
  registerShutdownRoutes(app, context.shutdown);
  registerStateRoutes(app, context.services);
  registerPublishRoutes(app, context.services);
  registerInvokeRoutes(app, context.invocation);
  registerSecretRoutes(app, context.services);
  registerLockRoutes(app, context.services);
  registerConfigurationRoutes(app, context.services, context.invocation, logger);
  registerBindingRoutes(app, context.services);
  return app;
}
