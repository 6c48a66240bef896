import type { BrokerMessage, MessageHandler } from '@mecha/pubsub';

/** What a test handler saw, with a way to wait for it; `answer` decides each outcome. */
export class Recorder {
  readonly messages: BrokerMessage[] = [];
  #answer: (message: BrokerMessage, attempt: number) => Promise<void> | void;

  constructor(answer: (message: BrokerMessage, attempt: number) => Promise<void> | void = () => {}) {
    this.#answer = answer;
  }

  readonly handler: MessageHandler = async (message) => {
    this.messages.push(message);
    await this.#answer(message, this.messages.length);
  };

  /** The payloads as text, in delivery order. */
  get texts(): string[] {
    return this.messages.map((message) => new TextDecoder().decode(message.data));
  }

  async waitFor(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (saw: ${this.texts.join(', ')})`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

export function text(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
