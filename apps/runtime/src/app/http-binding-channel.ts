import type { InputBindingEvent } from '@mecha/bindings';
import type { AppChannel } from '@mecha/invocation';
import type { AppBindingChannel, AppBindingTarget } from './app-binding-channel.ts';
import { deliveryHeaders } from './http-delivery.ts';

/** What the app said, for an error message (its body can be long or binary: the start only). */
function answerSummary(status: number, body: Uint8Array): string {
  const text = Buffer.from(body.subarray(0, 200)).toString('utf8').replace(/\s+/g, ' ').trim();
  return `the app answered ${status}${text ? `: ${text}` : ''}`;
}

/**
 * Input binding events to an HTTP app, as daprd sends them: `POST /<route>` with the event's
 * data as the body (content type `application/json`, whatever the bytes are) and its metadata
 * as headers; any 2xx answer means the app took it.
 */
export class HttpBindingChannel implements AppBindingChannel {
  readonly #channel: AppChannel;

  constructor(channel: AppChannel) {
    this.#channel = channel;
  }

  async subscribed(binding: AppBindingTarget, signal: AbortSignal): Promise<boolean> {
    const response = await this.#channel.invoke({
      method: binding.route,
      httpVerb: 'OPTIONS',
      query: '',
      headers: { 'content-type': 'application/json' },
      body: new Uint8Array(0),
      signal,
    });
    // 405: the route exists but has no OPTIONS handler; daprd counts that as served too.
    return (response.status >= 200 && response.status < 300) || response.status === 405;
  }

  async deliver(binding: AppBindingTarget, event: InputBindingEvent): Promise<void> {
    const headers = deliveryHeaders(event.metadata);
    headers['content-type'] = 'application/json';
    const response = await this.#channel.invoke({ method: binding.route, httpVerb: 'POST', query: '', headers, body: event.data });
    if (response.status < 200 || response.status > 299) throw new Error(answerSummary(response.status, response.body));
  }
}
