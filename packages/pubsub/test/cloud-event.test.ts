import { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { createEnvelope, type NewEnvelopeInput } from '../src/cloud-event.ts';

/**
 * What createEnvelope built before it built envelopes by hand: the CloudEvents library's
 * event, validated, as JSON, without undefined attributes. The hand-built envelope must
 * serialise to the same bytes (time aside, which both take from the clock).
 */
function withLibrary(input: NewEnvelopeInput & { id: string }, payload: Record<string, unknown>): Record<string, unknown> {
  const attributes = Object.fromEntries(
    Object.entries({
      id: input.id,
      source: input.source,
      type: input.type || 'com.dapr.event.sent',
      specversion: '1.0',
      datacontenttype: input.contentType,
      subject: input.subject,
      time: new Date().toISOString(),
      topic: input.topic,
      pubsubname: input.pubsubName,
      traceid: input.traceparent,
      traceparent: input.traceparent,
      tracestate: input.tracestate,
      expiration: input.expiration,
      ...payload,
    }).filter(([, value]) => value !== undefined),
  );
  const json = new CloudEvent<unknown>(attributes, true).toJSON() as Record<string, unknown>;
  return Object.fromEntries(Object.entries(json).filter(([, value]) => value !== undefined));
}

/** JSON text with `time` set to a fixed value in its place, so two envelopes compare byte for byte. */
function bytes(event: Record<string, unknown>): string {
  return JSON.stringify({ ...event, time: 'T' });
}

const base = { id: 'e-1', source: 'checkout', topic: 'orders', pubsubName: 'bus' };
const encode = (text: string) => new TextEncoder().encode(text);

describe('createEnvelope', () => {
  const cases: Array<[string, NewEnvelopeInput & { id: string }, Record<string, unknown>]> = [
    ['JSON bytes', { ...base, contentType: 'application/json', data: encode('{"b":1,"a":[true,null]}') }, { data: { b: 1, a: [true, null] } }],
    ['JSON text with spaces', { ...base, contentType: 'application/json', data: ' { "x" : 2 } ' }, { data: { x: 2 } }],
    ['unparseable JSON', { ...base, contentType: 'application/json', data: encode('not { json') }, { data: 'not { json' }],
    ['a +json type', { ...base, contentType: 'application/vnd.x+json; charset=utf-8', data: '"s"' }, { data: 's' }],
    ['text', { ...base, contentType: 'text/plain', data: encode('héllo') }, { data: 'héllo' }],
    ['empty text', { ...base, contentType: 'text/plain', data: '' }, { data: '' }],
    ['bytes', { ...base, contentType: 'application/octet-stream', data: encode('\u0000\u0001ab') }, { data_base64: Buffer.from('\u0000\u0001ab').toString('base64') }],
    ['no bytes', { ...base, contentType: 'application/octet-stream', data: new Uint8Array(0) }, { data_base64: '' }],
    [
      'every attribute',
      {
        ...base,
        type: 'com.example.placed',
        subject: 'order-7',
        contentType: 'application/json',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        tracestate: 'congo=t61rcWkgMzE',
        expiration: '2030-01-01T00:00:00.000Z',
        data: encode('{"n":7}'),
      },
      { data: { n: 7 } },
    ],
    ['an empty traceparent', { ...base, contentType: 'text/plain', traceparent: '', data: 'x' }, { data: 'x' }],
    ['a URI source', { ...base, source: 'https://example.com/orders?x=1', contentType: 'text/plain', data: 'x' }, { data: 'x' }],
  ];

  it.each(cases)('builds the same envelope as the CloudEvents library: %s', (_name, input, payload) => {
    const expected = withLibrary(input, payload);
    const built = createEnvelope(input);
    expect(bytes(built)).toBe(bytes(expected));
    expect(Date.parse(String(built['time']))).toBeGreaterThan(Date.now() - 60_000);
    expect(new Date(String(built['time'])).toISOString()).toBe(built['time']);
  });

  it('refuses a source that is not a URI reference, every time it is given', () => {
    const input = { ...base, source: 'not a uri', contentType: 'text/plain', data: 'x' };
    expect(() => createEnvelope(input)).toThrow(/source/);
    expect(() => createEnvelope(input)).toThrow(/source/);
  });

  it('refuses an empty subject, as the library does', () => {
    expect(() => createEnvelope({ ...base, subject: '', contentType: 'text/plain', data: 'x' })).toThrow(/subject/);
  });

  it('leaves values that are not bytes or text to the library, which refuses what JSON cannot hold', () => {
    expect(() => createEnvelope({ ...base, contentType: 'application/json', data: Number.NaN })).toThrow();
    const event = createEnvelope({ ...base, contentType: 'application/json', data: { a: 1 } });
    expect(bytes(event)).toBe(bytes(withLibrary({ ...base, contentType: 'application/json', data: { a: 1 } }, { data: { a: 1 } })));
  });

  it('gives each envelope a new id and its own time when none is given', () => {
    const first = createEnvelope({ source: 'a', topic: 't', pubsubName: 'p', data: 'x' });
    const second = createEnvelope({ source: 'a', topic: 't', pubsubName: 'p', data: 'x' });
    expect(first['id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(second['id']).not.toBe(first['id']);
    expect(first['datacontenttype']).toBe('text/plain');
  });
});
