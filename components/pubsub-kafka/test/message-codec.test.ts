import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  fromKafkaMessage,
  queryEscape,
  refuseSchema,
  toKafkaMessage,
} from '../src/message-codec.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

function consumed(partial: Partial<KafkaMessage>): KafkaMessage {
  return {
    key: null,
    value: Buffer.from('v'),
    timestamp: '1700000000000',
    attributes: 0,
    offset: '12',
    headers: {},
    ...partial,
  } as KafkaMessage;
}

describe('toKafkaMessage', () => {
  it('keys by partitionKey (or __key), carries metadata and the content type as headers', () => {
    const record = toKafkaMessage(
      {
        topic: 't',
        data: bytes('hello'),
        contentType: 'text/plain',
        metadata: { partitionKey: 'order-1', traceparent: 'x' },
      },
      {},
    );
    expect(record.key).toBe('order-1');
    expect(record.partition).toBeUndefined();
    expect(record.headers).toEqual({
      partitionKey: 'order-1',
      traceparent: 'x',
      'content-type': 'text/plain',
    });
    expect(Buffer.from(record.value as Buffer).toString()).toBe('hello');
    expect(toKafkaMessage({ topic: 't', data: bytes(''), metadata: { __key: 'k' } }, {}).key).toBe(
      'k',
    );
    expect(toKafkaMessage({ topic: 't', data: bytes(''), metadata: {} }, {}).key).toBeUndefined();
  });

  it('sends a view of the bytes it was given, offset included', () => {
    const whole = bytes('xxpayloadyy');
    const record = toKafkaMessage({ topic: 't', data: whole.subarray(2, 9), metadata: {} }, {});
    expect(Buffer.from(record.value as Buffer).toString()).toBe('payload');
  });

  it('honours partitionNumber and refuses a bad one', () => {
    expect(
      toKafkaMessage({ topic: 't', data: bytes(''), metadata: { partitionNumber: '3' } }, {})
        .partition,
    ).toBe(3);
    for (const bad of ['-1', '1.5', 'two', '99999999999']) {
      expect(() =>
        toKafkaMessage({ topic: 't', data: bytes(''), metadata: { partitionNumber: bad } }, {}),
      ).toThrow(/partitionNumber must be a whole number/);
    }
  });

  it('leaves out excluded metadata and refuses a message over maxMessageBytes', () => {
    const record = toKafkaMessage(
      { topic: 't', data: bytes('abc'), metadata: { rawPayload: 'true', keep: '1' } },
      { excludeHeaderMetadata: /^rawPayload$/ },
    );
    expect(record.headers).toEqual({ keep: '1' });
    expect(() =>
      toKafkaMessage({ topic: 't', data: bytes('abcd'), metadata: {} }, { maxMessageBytes: 3 }),
    ).toThrow(/4 bytes, more than maxMessageBytes \(3\)/);
  });

  it('refuses a schema it cannot serialise, here and for subscriptions', () => {
    expect(() =>
      toKafkaMessage({ topic: 't', data: bytes(''), metadata: { valueSchemaType: 'Avro' } }, {}),
    ).toThrow(/valueSchemaType "Avro" needs a schema registry/);
    expect(() => refuseSchema({ valueSchemaType: 'None' })).not.toThrow();
    expect(() => refuseSchema({ valueSchemaType: 'JSON' })).toThrow(/schema registry/);
  });
});

describe('fromKafkaMessage', () => {
  it("turns headers back into metadata with Dapr's __ fields, and the content-type header into contentType", () => {
    const message = fromKafkaMessage(
      'orders',
      2,
      consumed({
        key: Buffer.from('order-1'),
        value: Buffer.from('payload'),
        headers: {
          traceparent: Buffer.from('x'),
          'content-type': Buffer.from('application/json'),
          twice: [Buffer.from('a'), Buffer.from('b')],
          gone: undefined,
        },
      }),
      {},
    );
    expect(message.topic).toBe('orders');
    expect(message.contentType).toBe('application/json');
    expect(new TextDecoder().decode(message.data)).toBe('payload');
    expect(message.data).toBeInstanceOf(Uint8Array);
    expect(message.metadata).toEqual({
      traceparent: 'x',
      twice: 'b',
      __key: 'order-1',
      __topic: 'orders',
      __partition: '2',
      __offset: '12',
      __timestamp: '1700000000000',
    });
  });

  it('delivers an empty value as empty bytes and leaves contentType unset without the header', () => {
    const message = fromKafkaMessage('t', 0, consumed({ value: null }), {});
    expect(message.data).toEqual(new Uint8Array(0));
    expect(message.contentType).toBeUndefined();
    expect(message.metadata.__key).toBeUndefined();
  });

  it('escapes header values and the key when escapeHeaders is on, and drops excluded headers', () => {
    const message = fromKafkaMessage(
      't',
      0,
      consumed({
        key: Buffer.from('a b'),
        headers: { note: Buffer.from('x=1&y=(2)!'), secret: Buffer.from('s') },
      }),
      { escapeHeaders: true, excludeHeaderMetadata: /^secret$/ },
    );
    expect(message.metadata.note).toBe('x%3D1%26y%3D%282%29%21');
    expect(message.metadata.__key).toBe('a+b');
    expect(message.metadata.secret).toBeUndefined();
  });

  it("escapes as Go's url.QueryEscape", () => {
    expect(queryEscape("a b/c?d=é*~-_.'")).toBe('a+b%2Fc%3Fd%3D%C3%A9%2A~-_.%27');
  });
});
