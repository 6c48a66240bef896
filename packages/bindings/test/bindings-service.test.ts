import { describe, expect, it } from 'vitest';
import {
  BindingOperationError,
  BindingsService,
  OutputBindingInvokeError,
  bindingDirections,
  type Binding,
  type BindingRequest,
  type InputBindingEvent,
  type InputBindingHandler,
} from '../src/index.ts';
import { resolveRetryOptions, retryDelay } from '../src/retry-options.ts';

/** A binding whose behaviour each test scripts; it records what reached it. */
class ScriptedBinding implements Binding {
  readonly operations = ['create', 'get'];
  readonly requests: BindingRequest[] = [];
  handler?: InputBindingHandler;
  reads = 0;
  closed = 0;
  answer: (request: BindingRequest) => Promise<{ data: Uint8Array; metadata: Record<string, string>; contentType?: string }> = async () => ({
    data: Buffer.from('ok'),
    metadata: { answered: 'yes' },
  });

  async invoke(request: BindingRequest) {
    this.requests.push(request);
    return this.answer(request);
  }

  async read(handler: InputBindingHandler): Promise<void> {
    this.reads++;
    this.handler = handler;
  }

  async close(): Promise<void> {
    this.closed++;
  }

  emit(text: string, metadata: Record<string, string> = {}): Promise<void> {
    return this.handler!({ data: Buffer.from(text), metadata });
  }
}

const both = ['INPUT', 'OUTPUT'] as const;

function service(binding: Binding, extra: Partial<ConstructorParameters<typeof BindingsService>[0]> = {}) {
  return new BindingsService({ name: 'mybinding', binding, features: both, retry: { initialDelayMs: 1, maxDelayMs: 5, maxAttempts: 3 }, ...extra });
}

describe('BindingsService output', () => {
  it('passes operation, data and metadata through and returns the answer', async () => {
    const binding = new ScriptedBinding();
    binding.answer = async () => ({ data: Buffer.from('[1]'), metadata: { rows: '1' }, contentType: 'application/json' });
    const response = await service(binding).invoke({ operation: 'get', data: Buffer.from('"x"'), metadata: { key: 'k' } });
    expect(Buffer.from(response.data).toString()).toBe('[1]');
    expect(response).toMatchObject({ metadata: { rows: '1' }, contentType: 'application/json' });
    expect(binding.requests).toEqual([{ operation: 'get', data: Buffer.from('"x"'), metadata: { key: 'k' } }]);
  });

  it('gives a component empty data and metadata when the call had none', async () => {
    const binding = new ScriptedBinding();
    await service(binding).invoke({ operation: 'create' });
    expect(binding.requests[0]).toEqual({ operation: 'create', data: new Uint8Array(0), metadata: {} });
  });

  it("refuses a missing or unlisted operation with daprd's messages, without calling the component", async () => {
    const binding = new ScriptedBinding();
    const bindings = service(binding);
    for (const operation of ['', undefined]) {
      await expect(bindings.invoke({ operation })).rejects.toMatchObject({
        code: 'ERR_INVOKE_OUTPUT_BINDING',
        kind: 'internal',
        message: 'error invoking output binding mybinding: operation field is missing from request',
      });
    }
    await expect(bindings.invoke({ operation: 'Create' })).rejects.toMatchObject({
      code: 'ERR_INVOKE_OUTPUT_BINDING',
      message: 'error invoking output binding mybinding: binding mybinding does not support operation Create. supported operations:create get',
    });
    expect(binding.requests).toEqual([]);
  });

  it('wraps a component failure, keeping the response metadata a BindingOperationError carries', async () => {
    const binding = new ScriptedBinding();
    const bindings = service(binding);
    binding.answer = async () => {
      throw new Error('connection refused');
    };
    const plain = await bindings.invoke({ operation: 'create' }).catch((error: unknown) => error);
    expect(plain).toBeInstanceOf(OutputBindingInvokeError);
    expect(plain).toMatchObject({ message: 'error invoking output binding mybinding: connection refused', response: undefined });
    binding.answer = async () => {
      throw new BindingOperationError('received status code 404', { data: Buffer.from('nope'), metadata: { statusCode: '404' } });
    };
    const withResponse = (await bindings.invoke({ operation: 'get' }).catch((error: unknown) => error)) as OutputBindingInvokeError;
    expect(withResponse.message).toBe('error invoking output binding mybinding: received status code 404');
    expect(withResponse.response?.metadata).toEqual({ statusCode: '404' });
  });

  it('refuses output on an input-only binding as daprd does (it cannot find such an output binding)', async () => {
    const inputOnly = new BindingsService({ name: 'cron', binding: new ScriptedBinding(), features: ['INPUT'] });
    expect(inputOnly.isOutput).toBe(false);
    expect(inputOnly.operations).toEqual([]);
    await expect(inputOnly.invoke({ operation: 'create' })).rejects.toMatchObject({
      message: "error invoking output binding cron: couldn't find output binding cron",
    });
    // daprd checks the operation first, so an empty one is reported as missing even here.
    await expect(inputOnly.invoke({ operation: '' })).rejects.toMatchObject({ message: 'error invoking output binding cron: operation field is missing from request' });
  });

  it('refuses output after close', async () => {
    const binding = new ScriptedBinding();
    const bindings = service(binding);
    await bindings.close();
    await bindings.close();
    expect(binding.closed).toBe(1);
    await expect(bindings.invoke({ operation: 'create' })).rejects.toMatchObject({ code: 'ERR_INVOKE_OUTPUT_BINDING' });
  });
});

describe('direction and route', () => {
  it('narrows the declared directions by the direction metadata, as daprd reads it', () => {
    expect(bindingDirections(both)).toEqual({ input: true, output: true });
    expect(bindingDirections(both, 'input')).toEqual({ input: true, output: false });
    expect(bindingDirections(both, ' Output ')).toEqual({ input: false, output: true });
    expect(bindingDirections(both, 'input, OUTPUT')).toEqual({ input: true, output: true });
    expect(bindingDirections(['OUTPUT'], 'input')).toEqual({ input: false, output: false });
    expect(bindingDirections(both, '')).toEqual({ input: false, output: false });
  });

  it('serves only the direction the metadata allows, and knows when input was named explicitly', async () => {
    const outputOnly = service(new ScriptedBinding(), { direction: 'output' });
    expect(outputOnly.isInput).toBe(false);
    expect(outputOnly.inputDeclared).toBe(false);
    await expect(outputOnly.start(async () => undefined)).rejects.toMatchObject({ code: 'ERR_INPUT_BINDING_NOT_SUPPORTED' });
    const inputOnly = service(new ScriptedBinding(), { direction: 'input' });
    expect(inputOnly.inputDeclared).toBe(true);
    await expect(inputOnly.invoke({ operation: 'create' })).rejects.toMatchObject({ message: /couldn't find output binding mybinding/ });
  });

  it('routes events to the binding name unless `route` says otherwise', () => {
    expect(service(new ScriptedBinding()).route).toBe('mybinding');
    expect(service(new ScriptedBinding(), { route: '/events/in' }).route).toBe('events/in');
  });

  it('does not claim a direction the component cannot serve', () => {
    const outputOnlyObject: Binding = { operations: ['create'], invoke: async () => ({ data: new Uint8Array(0), metadata: {} }), close: async () => undefined };
    const bindings = new BindingsService({ name: 'x', binding: outputOnlyObject, features: both });
    expect(bindings.isInput).toBe(false);
    expect(bindings.isOutput).toBe(true);
  });
});

describe('BindingsService input', () => {
  it('delivers events, and resolves to the component only once the app took them', async () => {
    const binding = new ScriptedBinding();
    const bindings = service(binding);
    let release!: () => void;
    const delivered: InputBindingEvent[] = [];
    await bindings.start(async (event) => {
      delivered.push(event);
      await new Promise<void>((resolve) => (release = resolve));
    });
    let settled = false;
    const handled = binding.emit('hello', { source: 'test' }).then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(delivered).toHaveLength(1);
    expect(Buffer.from(delivered[0]!.data).toString()).toBe('hello');
    expect(delivered[0]!.metadata).toEqual({ source: 'test' });
    expect(settled).toBe(false);
    release();
    await handled;
    expect(settled).toBe(true);
  });

  it('retries a failing delivery with backoff until the app takes it', async () => {
    const binding = new ScriptedBinding();
    const bindings = service(binding);
    let attempts = 0;
    await bindings.start(async () => {
      attempts++;
      if (attempts < 3) throw new Error(`refused ${attempts}`);
    });
    await binding.emit('x');
    expect(attempts).toBe(3);
  });

  it('gives the event back to the component after the last attempt, naming the binding and the last error', async () => {
    const binding = new ScriptedBinding();
    const bindings = service(binding);
    let attempts = 0;
    await bindings.start(async () => {
      attempts++;
      throw new Error(`status 500 (attempt ${attempts})`);
    });
    await expect(binding.emit('x')).rejects.toMatchObject({
      code: 'ERR_INPUT_BINDING_DELIVERY',
      message: 'the app did not take the event of input binding mybinding after 3 attempts: status 500 (attempt 3)',
    });
    expect(attempts).toBe(3);
  });

  it('delivers concurrent events independently, retrying only the failed ones', async () => {
    const binding = new ScriptedBinding();
    const bindings = service(binding);
    const seen = new Map<string, number>();
    await bindings.start(async (event) => {
      const key = Buffer.from(event.data).toString();
      const count = (seen.get(key) ?? 0) + 1;
      seen.set(key, count);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
      if (Number(key) % 2 === 0 && count === 1) throw new Error('even events fail once');
    });
    await Promise.all(Array.from({ length: 40 }, (_, i) => binding.emit(String(i))));
    for (let i = 0; i < 40; i++) expect(seen.get(String(i))).toBe(i % 2 === 0 ? 2 : 1);
  });

  it('stop(): new events go back at once, pending retries end, deliveries at the app are awaited', async () => {
    const binding = new ScriptedBinding();
    const bindings = service(binding, { retry: { initialDelayMs: 60_000, maxAttempts: 5 } });
    let finishSlow!: () => void;
    let slowDone = false;
    await bindings.start(async (event) => {
      const text = Buffer.from(event.data).toString();
      if (text === 'failing') throw new Error('app error');
      await new Promise<void>((resolve) => (finishSlow = resolve));
      slowDone = true;
    });
    const failing = binding.emit('failing'); // now waiting a minute before its retry
    const slow = binding.emit('slow');
    await new Promise((resolve) => setTimeout(resolve, 10));
    let stopped = false;
    const stopping = bindings.stop().then(() => (stopped = true));
    await expect(failing).rejects.toMatchObject({ message: 'input binding mybinding is not delivering events (stopped)' });
    await expect(binding.emit('late')).rejects.toMatchObject({ code: 'ERR_INPUT_BINDING_DELIVERY' });
    expect(stopped).toBe(false);
    finishSlow();
    await slow;
    await stopping;
    expect(slowDone).toBe(true);
  });

  it('start() after stop() resumes with the new deliverer; the component is read only once', async () => {
    const binding = new ScriptedBinding();
    const bindings = service(binding);
    const first: string[] = [];
    const second: string[] = [];
    await bindings.start(async (event) => void first.push(Buffer.from(event.data).toString()));
    await binding.emit('a');
    await bindings.stop();
    await bindings.start(async (event) => void second.push(Buffer.from(event.data).toString()));
    await binding.emit('b');
    expect(first).toEqual(['a']);
    expect(second).toEqual(['b']);
    expect(binding.reads).toBe(1);
  });

  it('reports a component that cannot start reading, and can try again', async () => {
    const binding = new ScriptedBinding();
    let failures = 1;
    const read = binding.read.bind(binding);
    binding.read = async (handler) => {
      if (failures-- > 0) throw new Error('broker unreachable');
      return read(handler);
    };
    const bindings = service(binding);
    await expect(bindings.start(async () => undefined)).rejects.toThrow('broker unreachable');
    await bindings.start(async () => undefined);
    await binding.emit('x');
  });

  it('close() stops delivering, closes the component once, and refuses a new start', async () => {
    const binding = new ScriptedBinding();
    const bindings = service(binding);
    await bindings.start(async () => undefined);
    await Promise.all([bindings.close(), bindings.close()]);
    expect(binding.closed).toBe(1);
    await expect(binding.emit('x')).rejects.toMatchObject({ code: 'ERR_INPUT_BINDING_DELIVERY' });
    await expect(bindings.start(async () => undefined)).rejects.toMatchObject({ code: 'ERR_INPUT_BINDING_DELIVERY' });
  });
});

describe('retry options', () => {
  it('grows the delay exponentially up to the cap', () => {
    const options = resolveRetryOptions({ initialDelayMs: 100, factor: 2, maxDelayMs: 500 });
    expect([1, 2, 3, 4, 5].map((retry) => retryDelay(options, retry))).toEqual([100, 200, 400, 500, 500]);
    expect(options.maxAttempts).toBe(10);
  });

  it('refuses nonsense', () => {
    expect(() => resolveRetryOptions({ maxAttempts: 0 })).toThrow(RangeError);
    expect(() => resolveRetryOptions({ maxAttempts: 1.5 })).toThrow(RangeError);
    expect(() => resolveRetryOptions({ initialDelayMs: -1 })).toThrow(RangeError);
    expect(() => new BindingsService({ name: 'x', binding: new ScriptedBinding(), features: both, retry: { factor: Number.NaN } })).toThrow(RangeError);
  });
});
