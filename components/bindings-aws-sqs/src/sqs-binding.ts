import {
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
  type SendMessageCommandInput,
} from '@aws-sdk/client-sqs';
import type { Binding, BindingRequest, BindingResponse, InputBindingHandler } from '@mecha/bindings';
import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import { abortablePause } from './abortable-pause.ts';
import { awsClientConfig, requireRegion, type AwsConnectionFields } from './aws-client-config.ts';
import { sqsEventMetadata } from './sqs-event-metadata.ts';

export interface SqsBindingOptions extends AwsConnectionFields {
  queueName: string;
  /** Messages handled at once from a standard queue (a FIFO queue is always read one at a time, in order). Default 10. */
  maxConcurrentMessages?: number;
  /** Long-poll wait of each receive, 0 to 20 s. Default 20. */
  waitTimeSeconds?: number;
  /** Longest pause between receives after errors (doubling from 1 s). Default 10000. */
  maxRetryDelayMs?: number;
  /** How long `close()` waits for handlers still running. Default 10000. */
  closeTimeoutMs?: number;
  logger?: Logger;
}

function isQueueMissing(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name ?? '';
  return name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue';
}

/**
 * `bindings.aws.sqs`: one SQS queue. Output `create` sends the request's data as the message
 * body. Input long-polls the queue and hands each message to the handler; a message is deleted
 * only after the handler resolved. One the handler rejected is left alone, so SQS makes it
 * visible again when its visibility timeout ends (and counts the receive toward a redrive
 * policy's dead-letter queue). Standard queues are read up to `maxConcurrentMessages` at a
 * time; FIFO queues (`.fifo`) one message at a time, in order. `close()` cuts the pending long
 * poll short; a message SQS was already handing to it comes back after its visibility timeout.
 */
export class SqsBinding implements Binding {
  readonly operations = ['create'] as const;
  readonly #client: SQSClient;
  readonly #options: SqsBindingOptions;
  readonly #logger: Logger;
  readonly #fifo: boolean;
  #queueUrl: string | undefined;
  #reading: Promise<void> | undefined;
  readonly #stop = new AbortController();
  readonly #handling = new Set<Promise<void>>();
  #closed: Promise<void> | undefined;

  private constructor(client: SQSClient, options: SqsBindingOptions) {
    this.#client = client;
    this.#options = options;
    this.#logger = (options.logger ?? silentLogger()).child({ queue: options.queueName });
    this.#fifo = options.queueName.endsWith('.fifo');
  }

  /** Builds the client and checks the settings; the queue is looked up at the first call (as daprd does). */
  static async create(options: SqsBindingOptions): Promise<SqsBinding> {
    const queueName = options.queueName?.trim();
    if (!queueName) throw new Error('metadata field "queueName" is required');
    const wait = options.waitTimeSeconds ?? 20;
    if (!Number.isInteger(wait) || wait < 0 || wait > 20) throw new Error(`waitTimeSeconds must be a whole number from 0 to 20 (got ${wait})`);
    const concurrency = options.maxConcurrentMessages ?? 10;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`maxConcurrentMessages must be a whole number of at least 1 (got ${concurrency})`);
    const client = new SQSClient(awsClientConfig(options));
    try {
      await requireRegion(() => client.config.region(), 'bindings.aws.sqs');
    } catch (error) {
      client.destroy();
      throw error;
    }
    return new SqsBinding(client, { ...options, queueName });
  }

  async invoke(request: BindingRequest): Promise<BindingResponse> {
    if (request.operation !== 'create') throw new Error(`sqs binding error: unsupported operation ${request.operation}`);
    const input: SendMessageCommandInput = { QueueUrl: '', MessageBody: Buffer.from(request.data).toString('utf8') };
    const { messageGroupId, messageDeduplicationId, delaySeconds } = request.metadata;
    if (messageGroupId) input.MessageGroupId = messageGroupId;
    if (messageDeduplicationId) input.MessageDeduplicationId = messageDeduplicationId;
    if (delaySeconds) {
      const delay = Number(delaySeconds);
      if (!Number.isInteger(delay) || delay < 0 || delay > 900) throw new Error(`sqs binding error: delaySeconds must be a whole number from 0 to 900 (got ${delaySeconds})`);
      input.DelaySeconds = delay;
    }
    const output = await this.#withQueueUrl('send a message', (QueueUrl) => this.#client.send(new SendMessageCommand({ ...input, QueueUrl })));
    return { data: new Uint8Array(0), metadata: output.MessageId ? { messageId: output.MessageId } : {} };
  }

  /** Resolves once the queue is found and polling has started; rejects when the queue cannot be found. */
  async read(handler: InputBindingHandler): Promise<void> {
    if (this.#closed) throw new Error(`sqs binding for queue ${this.#options.queueName} is closed`);
    if (this.#reading) throw new Error(`sqs binding for queue ${this.#options.queueName} is already reading`);
    await this.#resolveQueueUrl();
    this.#reading = this.#poll(handler);
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#stop.abort();
      await this.#reading;
      await Promise.race([
        Promise.allSettled([...this.#handling]),
        new Promise((resolve) => setTimeout(resolve, this.#options.closeTimeoutMs ?? 10_000).unref()),
      ]);
      this.#client.destroy();
    })();
    return this.#closed;
  }

  async #resolveQueueUrl(): Promise<string> {
    if (this.#queueUrl) return this.#queueUrl;
    try {
      const output = await this.#client.send(new GetQueueUrlCommand({ QueueName: this.#options.queueName }), { abortSignal: this.#stop.signal });
      if (!output.QueueUrl) throw new Error('SQS returned no queue URL');
      this.#queueUrl = output.QueueUrl;
      return output.QueueUrl;
    } catch (error) {
      throw new Error(`sqs binding error: cannot find queue ${this.#options.queueName}: ${errorMessage(error)}`, { cause: error });
    }
  }

  /** Runs `call` with the queue URL; a queue that vanished is looked up again once. */
  async #withQueueUrl<T>(what: string, call: (url: string) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const url = await this.#resolveQueueUrl();
      try {
        return await call(url);
      } catch (error) {
        if (isQueueMissing(error)) this.#queueUrl = undefined;
        if (attempt === 1 && isQueueMissing(error)) continue;
        throw new Error(`sqs binding error: cannot ${what} on queue ${this.#options.queueName}: ${errorMessage(error)}`, { cause: error });
      }
    }
  }

  async #poll(handler: InputBindingHandler): Promise<void> {
    const signal = this.#stop.signal;
    const capacity = this.#fifo ? 1 : (this.#options.maxConcurrentMessages ?? 10);
    let failures = 0;
    while (!signal.aborted) {
      // Receive only as many as can be handled now, so none waits invisible in a queue of ours.
      while (this.#handling.size >= capacity && !signal.aborted) await Promise.race(this.#handling);
      if (signal.aborted) break;
      let messages: Message[];
      try {
        const url = await this.#resolveQueueUrl();
        const output = await this.#client.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: capacity - this.#handling.size,
            WaitTimeSeconds: this.#options.waitTimeSeconds ?? 20,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: signal },
        );
        messages = output.Messages ?? [];
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        if (isQueueMissing(error)) this.#queueUrl = undefined;
        failures++;
        const delay = Math.min(1000 * 2 ** (failures - 1), this.#options.maxRetryDelayMs ?? 10_000);
        this.#logger.warn({ error: errorMessage(error), retryInMs: delay }, 'bindings.aws.sqs: receiving failed; trying again');
        await abortablePause(delay, signal);
        continue;
      }
      for (const message of messages) {
        const handling = this.#handle(message, handler);
        this.#handling.add(handling);
        void handling.finally(() => this.#handling.delete(handling));
        // FIFO: the next message of the batch waits for this one, keeping the group's order.
        if (this.#fifo) await handling;
      }
    }
  }

  async #handle(message: Message, handler: InputBindingHandler): Promise<void> {
    const url = this.#queueUrl;
    const receipt = message.ReceiptHandle;
    try {
      await handler({ data: Buffer.from(message.Body ?? '', 'utf8'), metadata: sqsEventMetadata(message) });
    } catch (error) {
      this.#logger.debug({ messageId: message.MessageId, error: errorMessage(error) }, 'bindings.aws.sqs: not handled; SQS delivers it again after its visibility timeout');
      return;
    }
    if (!url || !receipt) return;
    try {
      await this.#client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: receipt }));
    } catch (error) {
      // It comes back after its visibility timeout: at-least-once, as SQS itself.
      this.#logger.error({ messageId: message.MessageId, error: errorMessage(error) }, 'bindings.aws.sqs: could not delete a handled message; it will be delivered again');
    }
  }
}
