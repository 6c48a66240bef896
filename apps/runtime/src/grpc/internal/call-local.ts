import * as grpc from '@grpc/grpc-js';
import { errorMessage, type Logger } from '@mecha/core';
import type { InvocationService, InvokeResponse } from '@mecha/invocation';
import type { DaprHandlers } from '../handlers.ts';
import { unusableHttpVerb } from './http-verb.ts';
import { DESTINATION_APP_ID, fromInternalInvokeRequest } from './internal-invoke-request.ts';
import { answerHasBody, toInternalInvokeResponse } from './internal-invoke-response.ts';
import type {
  InternalInvokeRequest,
  InternalInvokeRequestStream,
  InternalInvokeResponse,
  InternalInvokeResponseStream,
} from './internal-messages.ts';
import { firstMetadataValue } from './internal-metadata.ts';
import { normalizeMethod } from './method-name.ts';
import { PayloadCollector, PayloadError, toPayloads } from './stream-payload.ts';

export interface CallLocalOptions {
  invocation: InvocationService;
  /** The app behind the channel speaks HTTP (`--app-protocol http/https`): calls without an HTTP verb are refused, as daprd does. */
  appIsHttp: boolean;
  /** Largest body a streamed call may carry (`--max-body-size`). */
  maxBodyBytes: number;
  logger: Logger;
}

/** A gRPC status to answer with, as daprd's internal server words it. */
class CallLocalError extends Error {
  readonly code: grpc.status;

  constructor(code: grpc.status, message: string) {
    super(message);
    this.code = code;
  }
}

const parseError = (why: string) => new CallLocalError(grpc.status.INVALID_ARGUMENT, `parsing InternalInvokeRequest error: ${why}`);

function statusOf(error: unknown): Partial<grpc.StatusObject> {
  if (error instanceof CallLocalError) return { code: error.code, details: error.message };
  return { code: grpc.status.INTERNAL, details: errorMessage(error) };
}

/** What the invocation block's error says about the app, without its own "failed to invoke" wrapping. */
function appChannelFailure(error: unknown): CallLocalError {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return new CallLocalError(grpc.status.INTERNAL, `error invoking app channel: ${errorMessage(cause)}`);
}

/**
 * `ServiceInvocation.CallLocal` and `CallLocalStream`: calls from other sidecars (mechad or
 * daprd), delivered to this sidecar's own app only. A call naming another app in
 * `destination-app-id` reached the wrong sidecar (a stale address whose port was reused)
 * and is refused with UNAVAILABLE, which makes the caller forget the address.
 */
export function callLocalHandlers(options: CallLocalOptions): DaprHandlers {
  const { invocation, appIsHttp, logger } = options;

  function check(wire: InternalInvokeRequest | null | undefined): { wire: InternalInvokeRequest; method: string } {
    if (!wire) throw parseError('request does not contain the required fields in the leading chunk');
    if (!wire.message) throw parseError('field Message is nil');
    const destination = firstMetadataValue(wire.metadata, DESTINATION_APP_ID);
    if (destination && destination !== invocation.appId) {
      throw new CallLocalError(
        grpc.status.UNAVAILABLE,
        `this sidecar serves app ${invocation.appId}, not ${destination}: the address the caller resolved is out of date`,
      );
    }
    if (!invocation.hasAppChannel) throw new CallLocalError(grpc.status.INTERNAL, 'app channel is not initialized');
    let method: string;
    try {
      method = normalizeMethod(wire.message.method);
    } catch (error) {
      throw new CallLocalError(grpc.status.INVALID_ARGUMENT, `invalid method: ${errorMessage(error)}`);
    }
    if (appIsHttp) {
      const unusable = unusableHttpVerb(wire.message.http_extension);
      if (unusable) throw new CallLocalError(grpc.status.INTERNAL, `error invoking app channel: ${unusable}`);
    }
    return { wire, method };
  }

  async function deliver(wire: InternalInvokeRequest, method: string, body: Uint8Array, signal: AbortSignal): Promise<InvokeResponse> {
    const request = fromInternalInvokeRequest(wire, method, body, appIsHttp);
    try {
      return await invocation.invoke(invocation.appId, { ...request, signal });
    } catch (error) {
      if (signal.aborted) throw new CallLocalError(grpc.status.CANCELLED, 'the caller cancelled the call');
      logger.debug({ error: errorMessage(error), method }, 'a call from another sidecar failed in the app channel');
      throw appChannelFailure(error);
    }
  }

  const CallLocal = ((
    call: grpc.ServerUnaryCall<InternalInvokeRequest, InternalInvokeResponse>,
    callback: grpc.sendUnaryData<InternalInvokeResponse>,
  ) => {
    const aborted = new AbortController();
    call.once('cancelled', () => aborted.abort());
    void (async () => {
      const { wire, method } = check(call.request);
      const response = await deliver(wire, method, wire.message!.data?.value ?? new Uint8Array(0), aborted.signal);
      return toInternalInvokeResponse(response, true);
    })().then(
      (response) => callback(null, response),
      (error: unknown) => callback(statusOf(error)),
    );
  }) as grpc.UntypedHandleCall;

  const CallLocalStream = ((call: grpc.ServerDuplexStream<InternalInvokeRequestStream, InternalInvokeResponseStream>) => {
    const aborted = new AbortController();
    call.once('cancelled', () => aborted.abort());
    let first: { wire: InternalInvokeRequest; method: string } | undefined;
    let collector: PayloadCollector | undefined;
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      aborted.abort();
      call.emit('error', statusOf(error));
    };
    call.on('data', (chunk: InternalInvokeRequestStream) => {
      if (failed) return;
      try {
        if (!first) {
          // Like daprd, the body comes from the payloads only; data in the leading message is ignored.
          first = check(chunk.request);
          collector = new PayloadCollector(options.maxBodyBytes);
        } else if (chunk.request) {
          throw parseError('request metadata found in non-leading chunk');
        }
        if (chunk.payload) collector!.add(chunk.payload);
      } catch (error) {
        if (error instanceof PayloadError) {
          fail(new CallLocalError(error.reason === 'too-large' ? grpc.status.RESOURCE_EXHAUSTED : grpc.status.INVALID_ARGUMENT, error.message));
        } else fail(error);
      }
    });
    call.once('error', () => aborted.abort());
    call.once('end', () => {
      if (failed) return;
      if (!first) return fail(parseError('request does not contain the required fields in the leading chunk'));
      deliver(first.wire, first.method, collector!.body(), aborted.signal).then((response) => {
        if (aborted.signal.aborted) return;
        const head = toInternalInvokeResponse(response, false);
        const payloads = answerHasBody(response) ? toPayloads(response.body) : [];
        call.write({ response: head, payload: payloads[0] ?? null });
        for (const payload of payloads.slice(1)) call.write({ response: null, payload });
        call.end();
      }, fail);
    });
  }) as grpc.UntypedHandleCall;

  return { CallLocal, CallLocalStream };
}
