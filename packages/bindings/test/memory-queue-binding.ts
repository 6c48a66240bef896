import { defineComponent, defineMetadata } from '@mecha/core';
import type { Binding, BindingFeature, BindingRequest, BindingResponse, InputBindingEvent, InputBindingHandler } from '../src/index.ts';

/**
 * A test-only binding over a queue shared by every instance with the same `queue` metadata, as
 * a broker shares one among consumers: `create` enqueues (and keeps the data under `key` for
 * `get`), readers take events one at a time and put back any their handler rejects. Used to
 * check the conformance kit itself against a source that redelivers.
 */
interface Queue {
  pending: InputBindingEvent[];
  stored: Map<string, Uint8Array>;
}

const queues = new Map<string, Queue>();

function queueNamed(name: string): Queue {
  let queue = queues.get(name);
  if (!queue) queues.set(name, (queue = { pending: [], stored: new Map() }));
  return queue;
}

export class MemoryQueueBinding implements Binding {
  readonly operations = ['create', 'get'];
  readonly #queue: Queue;
  #closed = false;
  #loop?: Promise<void>;

  constructor(queue: string) {
    this.#queue = queueNamed(queue);
  }

  async invoke(request: BindingRequest): Promise<BindingResponse> {
    const key = request.metadata['key'] ?? '';
    if (request.operation === 'create') {
      this.#queue.stored.set(key, request.data);
      this.#queue.pending.push({ data: request.data, metadata: { key } });
      return { data: new Uint8Array(0), metadata: { key } };
    }
    const found = this.#queue.stored.get(key);
    if (!found) throw new Error(`no item ${key}`);
    return { data: found, metadata: { key }, contentType: 'application/octet-stream' };
  }

  async read(handler: InputBindingHandler): Promise<void> {
    this.#loop = (async () => {
      while (!this.#closed) {
        const event = this.#queue.pending.shift();
        if (!event) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          continue;
        }
        try {
          await handler(event);
        } catch {
          this.#queue.pending.unshift(event); // not acknowledged: the next reader gets it
        }
      }
    })();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#loop;
  }
}

export const memoryQueueDefinition = defineComponent<MemoryQueueBinding, BindingFeature, ReturnType<typeof schema>>({
  type: 'bindings.test-queue',
  version: 'v1',
  block: 'bindings',
  description: 'Test-only shared in-memory queue.',
  metadata: schema(),
  features: ['INPUT', 'OUTPUT'],
  async create(metadata) {
    return new MemoryQueueBinding(metadata.queue);
  },
});

function schema() {
  return defineMetadata({ queue: { type: 'string', required: true, description: 'Queue shared by instances.' } });
}
