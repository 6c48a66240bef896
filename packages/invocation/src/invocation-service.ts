import { errorMessage, isMechaError, silentLogger, type Logger } from '@mecha/core';
import type { AppChannel, InvokeRequest, InvokeResponse } from './app-channel.ts';
import { directInvokeError } from './direct-invoke-error.ts';
import { withoutHopByHopHeaders } from './hop-by-hop-headers.ts';
import { HttpSidecarInvoker } from './http-sidecar-invoker.ts';
import type { NameResolver } from './name-resolver.ts';
import { FORWARDED_BY_HEADER, FORWARDED_NAMESPACE_HEADER, type RemoteInvoker } from './remote-invoker.ts';
import { parseTargetAppId } from './target-app-id.ts';

/** Headers daprd sets itself when it hands a call to an app; a client's values are replaced. */
export const CALLER_APP_ID_HEADER = 'dapr-caller-app-id';
export const CALLER_NAMESPACE_HEADER = 'dapr-caller-namespace';
export const CALLEE_APP_ID_HEADER = 'dapr-callee-app-id';

/** Meant for the sidecar only, never passed on to an app or another sidecar. */
const sidecarOnlyHeaders = new Set([
  'dapr-api-token',
  'dapr-app-id',
  'destination-app-id',
  CALLER_APP_ID_HEADER,
  CALLER_NAMESPACE_HEADER,
  CALLEE_APP_ID_HEADER,
  FORWARDED_BY_HEADER,
  FORWARDED_NAMESPACE_HEADER,
]);

export interface InvocationServiceOptions {
  /** This sidecar's app id (`--app-id`). */
  appId: string;
  /** This sidecar's namespace (daprd reads `NAMESPACE`). Default `default`. */
  namespace?: string;
  /** The connection to this sidecar's own app; without one, calls to the own app id fail. */
  appChannel?: AppChannel;
  resolver: NameResolver;
  /** How calls reach other sidecars. Default: a new HttpSidecarInvoker, closed by `close()`. */
  remote?: RemoteInvoker;
  logger?: Logger;
}

interface Caller {
  appId: string;
  namespace: string;
  forwarded: boolean;
}

/**
 * Dapr's service invocation: a call addressed to this app goes to the app channel, any
 * other app id is resolved to its sidecar and forwarded there. Every failure is a
 * MechaError ERR_DIRECT_INVOKE whose message reads like daprd's
 * (`failed to invoke, id: <id>, err: <reason>`); an app's own answer, whatever its status,
 * is returned unchanged.
 */
export class InvocationService {
  readonly appId: string;
  readonly namespace: string;
  readonly #appChannel: AppChannel | undefined;
  readonly #resolver: NameResolver;
  readonly #remote: RemoteInvoker;
  readonly #ownsRemote: boolean;
  readonly #logger: Logger;

  constructor(options: InvocationServiceOptions) {
    this.appId = options.appId;
    this.namespace = options.namespace || 'default';
    this.#appChannel = options.appChannel;
    this.#resolver = options.resolver;
    this.#ownsRemote = options.remote === undefined;
    this.#remote = options.remote ?? new HttpSidecarInvoker();
    this.#logger = options.logger ?? silentLogger();
  }

  get hasAppChannel(): boolean {
    return this.#appChannel !== undefined;
  }

  /** True when `targetAppId` (`<appId>` or `<appId>.<namespace>`) names this sidecar's own app. */
  isSelf(targetAppId: string): boolean {
    const target = parseTargetAppId(targetAppId);
    return target.appId === this.appId && (target.namespace ?? this.namespace) === this.namespace;
  }

  /**
   * Calls `req.method` on app `targetAppId`. A request carrying the forwarding mark of
   * another sidecar is delivered to this app only, never forwarded again.
   */
  async invoke(targetAppId: string, req: InvokeRequest): Promise<InvokeResponse> {
    const target = parseTargetAppId(targetAppId);
    const caller = this.#caller(req.headers);
    const headers = this.#passOnHeaders(req.headers);
    const self = target.appId === this.appId && (target.namespace ?? this.namespace) === this.namespace;
    try {
      if (self) return await this.#invokeOwnApp({ ...req, headers }, caller);
      if (caller.forwarded) {
        this.#logger.warn({ target: targetAppId, caller: caller.appId }, 'refused to forward a call another sidecar forwarded here');
        throw directInvokeError(
          `this sidecar serves app ${this.appId} (namespace ${this.namespace}) and does not forward calls that another sidecar (app ${caller.appId}) already forwarded`,
        );
      }
      const address = await this.#resolver.resolve(target.appId);
      return await this.#remote.invoke({
        address,
        targetAppId,
        request: { ...req, headers },
        callerAppId: caller.appId,
        callerNamespace: caller.namespace,
      });
    } catch (error) {
      if (req.signal?.aborted) throw error;
      throw directInvokeError(`failed to invoke, id: ${targetAppId}, err: ${errorMessage(error)}`, {
        cause: error,
        metadata: { appId: targetAppId, ...(isMechaError(error) ? error.info.metadata : undefined) },
      });
    }
  }

  /** Closes the remote invoker this service created; the app channel and resolver belong to whoever passed them in. */
  async close(): Promise<void> {
    if (this.#ownsRemote) await this.#remote.close();
  }

  #invokeOwnApp(req: InvokeRequest, caller: Caller): Promise<InvokeResponse> {
    if (!this.#appChannel) {
      throw directInvokeError('cannot invoke local endpoint: app channel not initialized (no app port configured)');
    }
    req.headers[CALLER_APP_ID_HEADER] = caller.appId;
    req.headers[CALLER_NAMESPACE_HEADER] = caller.namespace;
    req.headers[CALLEE_APP_ID_HEADER] = this.appId;
    return this.#appChannel.invoke(req);
  }

  #caller(headers: InvokeRequest['headers']): Caller {
    const by = single(headers[FORWARDED_BY_HEADER]);
    if (!by) return { appId: this.appId, namespace: this.namespace, forwarded: false };
    return { appId: by, namespace: single(headers[FORWARDED_NAMESPACE_HEADER]) || this.namespace, forwarded: true };
  }

  /** The request's headers as the next hop should see them; daprd renames `grpc-*` so they cannot confuse a gRPC hop. */
  #passOnHeaders(headers: InvokeRequest['headers']): InvokeRequest['headers'] {
    const out: InvokeRequest['headers'] = {};
    for (const [name, value] of Object.entries(withoutHopByHopHeaders(headers, 'request'))) {
      if (sidecarOnlyHeaders.has(name)) continue;
      out[name.startsWith('grpc-') ? `dapr-${name}` : name] = value;
    }
    return out;
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
