import { BindingsService, type Binding, type InputBindingHandler } from '@mecha/bindings';
import { MechaError, MetadataValidationError, ResourceFileError, silentLogger, type ComponentResource } from '@mecha/core';
import { describe, expect, it } from 'vitest';
import type { AppBindingChannel } from '../../src/app/app-binding-channel.ts';
import { startInputBindings } from '../../src/app/input-bindings.ts';
import { BlockServices } from '../../src/block-services.ts';
import { capabilitiesOf } from '../../src/capabilities.ts';
import { componentLoadError } from '../../src/component-load-error.ts';
import { parseDaprdFlags } from '../../src/config/daprd-flags.ts';
import { resolveOptions } from '../../src/config/options.ts';
import { parseOutputBindingBody } from '../../src/http/routes/bindings.ts';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();

describe('POST /v1.0/bindings body', () => {
  it('takes any JSON data: a string as its text, anything else as JSON, none as no bytes', () => {
    const parse = (body: unknown) => parseOutputBindingBody(Buffer.from(JSON.stringify(body)));
    expect(text(parse({ operation: 'create', data: 'hello' }).data)).toBe('hello');
    expect(text(parse({ operation: 'create', data: { a: [1, 'x'] } }).data)).toBe('{"a":[1,"x"]}');
    expect(text(parse({ operation: 'create', data: 42 }).data)).toBe('42');
    expect(text(parse({ operation: 'create', data: false }).data)).toBe('false');
    expect(parse({ operation: 'create', data: null }).data).toHaveLength(0);
    expect(parse({ operation: 'create' })).toEqual({ operation: 'create', data: new Uint8Array(0), metadata: {} });
    expect(parse(null)).toEqual({ operation: undefined, data: new Uint8Array(0), metadata: {} });
  });

  it("matches field names regardless of case, preferring the exact one, as Go's decoder", () => {
    expect(parseOutputBindingBody(Buffer.from('{"OPERATION":"get","Metadata":{"k":"v"}}'))).toMatchObject({ operation: 'get', metadata: { k: 'v' } });
    expect(parseOutputBindingBody(Buffer.from('{"Operation":"x","operation":"get"}')).operation).toBe('get');
  });

  it("refuses what daprd cannot decode with ERR_MALFORMED_REQUEST", () => {
    const refused = (body: string) => {
      try {
        parseOutputBindingBody(Buffer.from(body));
      } catch (error) {
        expect(error).toBeInstanceOf(MechaError);
        expect((error as MechaError).code).toBe('ERR_MALFORMED_REQUEST');
        return (error as MechaError).message;
      }
      throw new Error(`accepted ${body}`);
    };
    expect(refused('')).toBe('failed deserializing HTTP body: EOF');
    expect(refused('{')).toMatch(/^failed deserializing HTTP body: /);
    expect(refused('"text"')).toMatch(/must be a JSON object/);
    expect(refused('[]')).toMatch(/must be a JSON object/);
    expect(refused('{"operation":["get"]}')).toBe('failed deserializing HTTP body: operation must be a string');
    expect(refused('{"operation":"get","metadata":"k=v"}')).toBe('failed deserializing HTTP body: metadata must be an object of strings');
    expect(refused('{"operation":"get","metadata":{"n":1}}')).toBe('failed deserializing HTTP body: metadata.n must be a string');
  });
});

describe('bindings wiring', () => {
  it("shows binding directions with daprd's capability names", () => {
    expect(capabilitiesOf('bindings', ['INPUT', 'OUTPUT'])).toEqual(['INPUT_BINDING', 'OUTPUT_BINDING']);
    expect(capabilitiesOf('state', ['ETAG'])).toEqual(['ETAG']);
  });

  it('finds output bindings only: unknown and input-only names are the same daprd error', () => {
    const services = new BlockServices('app');
    const binding: Binding = { operations: ['create'], invoke: async () => ({ data: new Uint8Array(0), metadata: {} }), read: async () => undefined, close: async () => undefined };
    services.bindings.set('both', new BindingsService({ name: 'both', binding, features: ['INPUT', 'OUTPUT'] }));
    services.bindings.set('in', new BindingsService({ name: 'in', binding, features: ['INPUT'] }));
    expect(services.outputBinding('both').name).toBe('both');
    expect(() => services.outputBinding('in')).toThrow("error invoking output binding in: couldn't find output binding in");
    expect(() => services.outputBinding('none')).toThrow("couldn't find output binding none");
  });

  it('reads --app-binding-options-timeout as daprd: a Go duration, default 3s, non-positive means the default', () => {
    const timeout = (...argv: string[]) => resolveOptions(parseDaprdFlags(['--app-id', 'a', ...argv]).flags, { MECHA_HOME: '/nonexistent' }).appBindingOptionsTimeoutMs;
    expect(timeout()).toBe(3000);
    expect(timeout('--app-binding-options-timeout', '10s')).toBe(10_000);
    expect(timeout('--app-binding-options-timeout=0s')).toBe(3000);
    expect(() => timeout('--app-binding-options-timeout', 'soon')).toThrow(/invalid --app-binding-options-timeout/);
    expect(parseDaprdFlags(['--app-binding-options-timeout', '5s']).unbuilt).toEqual([]);
  });

  it('names the file and field when a component refuses its metadata while starting', () => {
    const resource = {
      kind: 'Component',
      name: 'tick',
      type: 'bindings.cron',
      version: 'v1',
      metadata: [
        { name: 'direction', value: 'input' },
        { name: 'schedule', value: 'often' },
      ],
      ignoreErrors: false,
      scopes: [],
      source: { file: '/res/cron.yaml', document: 1 },
    } as unknown as ComponentResource;
    const invalid = new MetadataValidationError([{ field: 'schedule', message: '"often" is not a valid schedule' }]);
    const wrapped = new MechaError('ERR_COMPONENT_INIT', 'unavailable', 'component tick failed', { cause: invalid });
    const mapped = componentLoadError(wrapped, resource);
    expect(mapped).toBeInstanceOf(ResourceFileError);
    expect((mapped as ResourceFileError).field).toBe('spec.metadata[1]');
    expect((mapped as Error).message).toBe(
      '/res/cron.yaml (document 1, Component "tick"): field spec.metadata[1]: metadata field "schedule": "often" is not a valid schedule',
    );
    const other = new Error('redis is down');
    expect(componentLoadError(other, resource)).toBe(other);
  });
});

describe('startInputBindings', () => {
  class FakeInput implements Binding {
    handler?: InputBindingHandler;
    async read(handler: InputBindingHandler) {
      this.handler = handler;
    }
    async close() {}
  }

  function setup(entries: { name: string; direction?: string; route?: string }[]) {
    const services = new BlockServices('app');
    const inputs = new Map<string, FakeInput>();
    for (const entry of entries) {
      const binding = new FakeInput();
      inputs.set(entry.name, binding);
      services.bindings.set(entry.name, new BindingsService({ name: entry.name, binding, features: ['INPUT'], direction: entry.direction, route: entry.route, retry: { maxAttempts: 1 } }));
    }
    return { services, inputs };
  }

  it('reads what the app serves or what is declared input, and skips the rest', async () => {
    const { services, inputs } = setup([{ name: 'served', route: '/in/served' }, { name: 'unserved' }, { name: 'declared', direction: 'input' }, { name: 'broken' }]);
    const asked: string[] = [];
    const delivered: string[] = [];
    const bindings: AppBindingChannel = {
      subscribed: async (target) => {
        asked.push(target.route);
        if (target.name === 'broken') throw new Error('connection refused');
        return target.name === 'served';
      },
      deliver: async (target, event) => void delivered.push(`${target.name}:${text(event.data)}`),
    };
    const started = await startInputBindings(services, { bindings }, silentLogger(), new AbortController().signal);
    expect(started.map((s) => s.name).sort()).toEqual(['declared', 'served']);
    expect(asked.sort()).toEqual(['broken', 'in/served', 'unserved']);
    await inputs.get('served')!.handler!({ data: Buffer.from('a'), metadata: {} });
    await inputs.get('declared')!.handler!({ data: Buffer.from('b'), metadata: {} });
    expect(delivered).toEqual(['served:a', 'declared:b']);
    expect(inputs.get('unserved')!.handler).toBeUndefined();
  });

  it('reads nothing without an app', async () => {
    const { services, inputs } = setup([{ name: 'declared', direction: 'input' }]);
    expect(await startInputBindings(services, undefined, silentLogger(), new AbortController().signal)).toEqual([]);
    expect(inputs.get('declared')!.handler).toBeUndefined();
  });

  it('gives up asking after the probe timeout', async () => {
    const { services } = setup([{ name: 'slow' }]);
    const bindings: AppBindingChannel = {
      subscribed: (_target, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error))),
      deliver: async () => undefined,
    };
    expect(await startInputBindings(services, { bindings }, silentLogger(), new AbortController().signal, 20)).toEqual([]);
  });
});
