import type { InputBindingEvent } from '@mecha/bindings';
import type { AppBindingChannel, AppBindingTarget } from '../../app/app-binding-channel.ts';
import type { GrpcAppChannel } from './grpc-app-channel.ts';

/**
 * Input binding events to a gRPC app: the bindings it serves come from ListInputBindings (asked
 * once), events go through OnBindingEvent with data and metadata in the request, and an OK
 * answer means the app took the event. Names match regardless of case: the JS SDK lists its
 * bindings lower-cased, and a binding named `myCron` is still the one it means.
 */
export class GrpcBindingChannel implements AppBindingChannel {
  readonly #channel: GrpcAppChannel;
  readonly #list: (signal: AbortSignal) => Promise<string[]>;
  #listed?: Promise<Set<string>>;

  constructor(channel: GrpcAppChannel, list: (signal: AbortSignal) => Promise<string[]>) {
    this.#channel = channel;
    this.#list = list;
  }

  async subscribed(binding: AppBindingTarget, signal: AbortSignal): Promise<boolean> {
    this.#listed ??= this.#list(signal).then((names) => new Set(names.map((name) => name.toLowerCase())));
    return (await this.#listed).has(binding.name.toLowerCase());
  }

  async deliver(binding: AppBindingTarget, event: InputBindingEvent): Promise<void> {
    await this.#channel.onBindingEvent({ name: binding.name, data: Buffer.from(event.data), metadata: event.metadata });
  }
}
