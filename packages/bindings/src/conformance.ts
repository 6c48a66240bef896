import { randomUUID } from 'node:crypto';
import { silentLogger, validateMetadata, type ComponentDefinition } from '@mecha/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { Binding, BindingFeature, BindingResponse, InputBindingEvent } from './binding.ts';
import { bindingsCommonFields } from './binding-direction.ts';
import { BindingsService } from './bindings-service.ts';
import type { RetryOptions } from './retry-options.ts';

export interface RoundTripContext {
  /** Fresh per run: put it in what you write so reads cannot see another run's data. */
  unique: string;
  /** Invokes the binding under test through BindingsService; a string `data` is sent as its UTF-8 bytes. */
  invoke(operation: string, data?: Uint8Array | string, metadata?: Record<string, string>): Promise<BindingResponse>;
}

export interface TriggerContext {
  /** Fresh per event: make the source's event carry it, so `matches` can find it. */
  unique: string;
  /** The service of the instance that is reading (a binding that is also an output binding can feed itself). */
  service: BindingsService;
}

export interface BindingConformanceOptions {
  /** Shown in the suite name. */
  name: string;
  definition: ComponentDefinition<Binding, BindingFeature>;
  /**
   * Component metadata, as strings the way a resource file gives them. Every instance the kit
   * creates uses it; read when each test runs, so a getter can supply values known only after
   * setup (a server's port).
   */
  metadata?: Record<string, string>;
  /** Checked when the definition declares OUTPUT. */
  output?: {
    /** Operations the component must list (Dapr's names for it). */
    operations: readonly string[];
    /**
     * Writes through the binding and reads back what it wrote, asserting with vitest's `expect`.
     * Leave it out for a component that cannot read back (SMTP); it then only gets the refusals checked.
     */
    roundTrip?: (context: RoundTripContext) => Promise<void>;
  };
  /** Checked when the definition declares INPUT. */
  input?: {
    /** Makes the source produce one event carrying `unique` (a no-op for a schedule). */
    trigger: (context: TriggerContext) => Promise<void>;
    /** Whether an event is the one `trigger` produced. Default: its data contains `unique`. */
    matches?: (event: InputBindingEvent, unique: string) => boolean;
    /** Tells one event from another (default: its data as text); a retried event keeps its identity. */
    identify?: (event: InputBindingEvent) => string;
    /**
     * The source hands an event it got back unacknowledged to a reader again (Kafka, RabbitMQ,
     * SQS, Redis streams…), also to a new reader after the first went away. False for sources
     * with no redelivery (cron, MQTT QoS 0). Runs the redelivery and acknowledgement cases.
     */
    redelivers?: boolean;
  };
  /** How long a wait for an expected event lasts; generous by default (real servers on a busy machine). */
  waitTimeoutMs?: number;
}

const BINDING_NAME = 'conformance-binding';
/** Quick retries, so the block's own retries finish long before any source would redeliver. */
const FAST_RETRY: RetryOptions = { initialDelayMs: 1, factor: 2, maxDelayMs: 20, maxAttempts: 3 };
const NO_RETRY: RetryOptions = { maxAttempts: 1 };

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

async function waitUntil<T>(probe: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Registers vitest suites that check a binding component against the block's semantics, per
 * direction it declares. Output: the operations it lists, refusal of a missing or unsupported
 * operation, and a write read back where the component can. Input: an event from the source
 * reaches the app, an event the app fails to take is retried and only then acknowledged, and
 * (for sources that redeliver) an event the app never took comes again, also to a new reader,
 * while one it took does not. Call it at the top level of a test file.
 */
export function runBindingConformance(options: BindingConformanceOptions): void {
  const { definition } = options;
  const waitTimeoutMs = options.waitTimeoutMs ?? 20_000;
  const testTimeoutMs = waitTimeoutMs * 4;
  const declaresOutput = definition.features.includes('OUTPUT');
  const declaresInput = definition.features.includes('INPUT');

  describe(`bindings conformance: ${options.name} (${definition.type}/${definition.version})`, () => {
    // Readers of one test must not compete for the next test's events: each test closes its own.
    let services: BindingsService[] = [];
    afterEach(async () => {
      const opened = services;
      services = [];
      await Promise.allSettled(opened.map((service) => service.close()));
    });

    /** A component instance of its own (as a separate process would have), behind its own service; closed after the test. */
    async function open(retry?: RetryOptions): Promise<BindingsService> {
      const metadata = options.metadata ?? {};
      const validated = validateMetadata(definition.metadata, metadata, { passthrough: bindingsCommonFields });
      const binding = await definition.create(validated, { name: BINDING_NAME, appId: 'conformance', logger: silentLogger(), rawMetadata: metadata });
      const service = new BindingsService({ name: BINDING_NAME, binding, features: definition.features, direction: metadata['direction'], retry });
      services.push(service);
      return service;
    }

    it('declares at least one direction', () => {
      expect(declaresInput || declaresOutput).toBe(true);
    });

    if (declaresOutput) {
      describe('output', () => {
        it('lists the operations it serves', async () => {
          expect(options.output, 'an OUTPUT binding must give output.operations to the kit').toBeDefined();
          const service = await open();
          expect(service.isOutput).toBe(true);
          expect([...service.operations].sort()).toEqual(expect.arrayContaining([...options.output!.operations].sort()));
        });

        it("refuses a missing or unlisted operation with daprd's errors, before the backend sees it", async () => {
          const service = await open();
          await expect(service.invoke({ operation: '', data: Buffer.from('{}') })).rejects.toMatchObject({
            code: 'ERR_INVOKE_OUTPUT_BINDING',
            message: `error invoking output binding ${BINDING_NAME}: operation field is missing from request`,
          });
          const bogus = `no-such-operation-${randomUUID()}`;
          await expect(service.invoke({ operation: bogus, data: Buffer.from('{}') })).rejects.toMatchObject({
            code: 'ERR_INVOKE_OUTPUT_BINDING',
            message: `error invoking output binding ${BINDING_NAME}: binding ${BINDING_NAME} does not support operation ${bogus}. supported operations:${service.operations.join(' ')}`,
          });
        });

        if (options.output?.roundTrip) {
          const roundTrip = options.output.roundTrip;
          it(
            'reads back what it wrote',
            async () => {
              const service = await open();
              await roundTrip({
                unique: randomUUID(),
                invoke: (operation, data, requestMetadata) =>
                  service.invoke({ operation, data: typeof data === 'string' ? Buffer.from(data) : data, metadata: requestMetadata ?? {} }),
              });
            },
            testTimeoutMs,
          );
        }

        if (!declaresInput) {
          it('refuses to read: it is not an input binding', async () => {
            const service = await open();
            await expect(service.start(async () => undefined)).rejects.toMatchObject({ code: 'ERR_INPUT_BINDING_NOT_SUPPORTED' });
          });
        }
      });
    }

    if (declaresInput) {
      describe('input', () => {
        const input = () => {
          expect(options.input, 'an INPUT binding must give input.trigger to the kit').toBeDefined();
          return options.input!;
        };
        const matches = (event: InputBindingEvent, unique: string) =>
          (options.input?.matches ?? ((e: InputBindingEvent, u: string) => text(e.data).includes(u)))(event, unique);
        const identify = (event: InputBindingEvent) => (options.input?.identify ?? ((e: InputBindingEvent) => text(e.data)))(event);

        if (!declaresOutput) {
          it('refuses output calls: it is not an output binding', async () => {
            const service = await open();
            expect(service.isOutput).toBe(false);
            await expect(service.invoke({ operation: 'create', data: Buffer.from('{}') })).rejects.toMatchObject({
              code: 'ERR_INVOKE_OUTPUT_BINDING',
              message: `error invoking output binding ${BINDING_NAME}: couldn't find output binding ${BINDING_NAME}`,
            });
          });
        }

        it(
          'delivers an event from the source',
          async () => {
            const { trigger } = input();
            const service = await open(FAST_RETRY);
            const received: InputBindingEvent[] = [];
            await service.start(async (event) => void received.push(event));
            const unique = randomUUID();
            await trigger({ unique, service });
            const event = await waitUntil(() => received.find((e) => matches(e, unique)), 'the triggered event', waitTimeoutMs);
            expect(event.data).toBeInstanceOf(Uint8Array);
            expect(typeof event.metadata).toBe('object');
            for (const value of Object.values(event.metadata)) expect(typeof value).toBe('string');
          },
          testTimeoutMs,
        );

        it(
          'retries an event the app failed to take, and settles it once taken',
          async () => {
            const { trigger, redelivers } = input();
            const service = await open({ ...FAST_RETRY, maxAttempts: 5 });
            const attempts = new Map<string, number>();
            let taken: string | undefined;
            const unique = randomUUID();
            await service.start(async (event) => {
              if (!matches(event, unique)) return;
              const id = identify(event);
              const attempt = (attempts.get(id) ?? 0) + 1;
              attempts.set(id, attempt);
              if (attempt <= 2) throw new Error(`the app fails attempt ${attempt}`);
              taken ??= id;
            });
            await trigger({ unique, service });
            const id = await waitUntil(() => taken, 'the event to be taken on its third attempt', waitTimeoutMs);
            expect(attempts.get(id)).toBe(3);
            if (redelivers) {
              // Taken means acknowledged: a later event arrives and the taken one does not come back.
              const later = randomUUID();
              const seen: InputBindingEvent[] = [];
              await service.start(async (event) => void seen.push(event));
              await trigger({ unique: later, service });
              await waitUntil(() => seen.find((e) => matches(e, later)), 'a later event', waitTimeoutMs);
              expect(seen.filter((e) => matches(e, unique))).toEqual([]);
            }
          },
          testTimeoutMs,
        );

        if (options.input?.redelivers) {
          it(
            'gets an event back from the source after the app did not take it',
            async () => {
              const { trigger } = input();
              // No block retries: the first failure goes straight back to the component unacknowledged.
              const service = await open(NO_RETRY);
              const unique = randomUUID();
              let deliveries = 0;
              await service.start(async (event) => {
                if (!matches(event, unique)) return;
                deliveries++;
                if (deliveries === 1) throw new Error('the app fails the first delivery');
              });
              await trigger({ unique, service });
              await waitUntil(() => (deliveries >= 2 ? true : undefined), 'the source to deliver the event again', waitTimeoutMs);
            },
            testTimeoutMs,
          );

          it(
            'hands an event a reader never settled to the next reader, and not one it took',
            async () => {
              const { trigger } = input();
              const first = await open(NO_RETRY);
              const unique = randomUUID();
              let failPending: ((error: Error) => void) | undefined;
              await first.start(
                (event) =>
                  new Promise<void>((resolve, reject) => {
                    if (!matches(event, unique)) return resolve();
                    failPending = reject; // the app hangs on it…
                  }),
              );
              await trigger({ unique, service: first });
              await waitUntil(() => failPending, 'the event at the first reader', waitTimeoutMs);
              // …and the reader goes away before it answers (a crash): nothing may be acknowledged.
              const closing = first.close();
              failPending!(new Error('the app crashed'));
              await closing;

              const second = await open(NO_RETRY);
              const atSecond: InputBindingEvent[] = [];
              await second.start(async (event) => void atSecond.push(event));
              await waitUntil(() => atSecond.find((e) => matches(e, unique)), 'the unsettled event at the next reader', waitTimeoutMs);
              await second.close();

              const third = await open(NO_RETRY);
              const atThird: InputBindingEvent[] = [];
              await third.start(async (event) => void atThird.push(event));
              const later = randomUUID();
              await trigger({ unique: later, service: third });
              await waitUntil(() => atThird.find((e) => matches(e, later)), 'a later event at the third reader', waitTimeoutMs);
              expect(atThird.filter((e) => matches(e, unique))).toEqual([]);
            },
            testTimeoutMs,
          );
        }
      });
    }
  });
}
