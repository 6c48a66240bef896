import { silentLogger } from '@mecha/core';
import { describe, expect, it } from 'vitest';
import { deliveryBody, statusFromResponse } from '../../src/app/http-delivery.ts';

const body = (text: string) => Buffer.from(text);

/** daprd's reading of an app's answer to an event. */
describe('statusFromResponse', () => {
  it.each([
    [200, '', 'SUCCESS'],
    [204, '', 'SUCCESS'],
    [200, 'ok, thanks', 'SUCCESS'],
    [200, '{"status":"SUCCESS"}', 'SUCCESS'],
    [200, '{"status":""}', 'SUCCESS'],
    [200, '{}', 'SUCCESS'],
    [200, '{"status":"RETRY"}', 'RETRY'],
    [200, '{"status":"DROP"}', 'DROP'],
    [200, '{"status":"success"}', 'RETRY'],
    [404, '', 'DROP'],
    [500, '{"status":"SUCCESS"}', 'RETRY'],
    [301, '', 'RETRY'],
  ] as const)('%d %s → %s', (status, text, expected) => {
    expect(statusFromResponse(status, body(text), silentLogger(), 'orders')).toBe(expected);
  });
});

/** What the app is posted: the envelope's bytes as the broker holds them, as daprd posts them. */
describe('deliveryBody', () => {
  // What the block parsed: the number has lost its last digits, which the stored bytes keep.
  const event = { id: '1', specversion: '1.0', source: 'a', type: 't', data: { n: 12345678901234567000 } };

  it('posts the stored bytes untouched, spacing and number precision included', () => {
    const raw = Buffer.from('{ "id":"1", "specversion":"1.0", "source":"a", "type":"t", "data": {"n": 12345678901234567890} }');
    expect(deliveryBody({ event, raw })).toBe(raw);
  });

  it('re-serialises the parsed event when the stored bytes start with a byte-order mark', () => {
    const raw = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(event))]);
    const body = deliveryBody({ event, raw });
    expect(Buffer.from(body).toString('utf8')).toBe(JSON.stringify(event));
  });

  it('re-serialises the parsed event when the stored bytes are not UTF-8', () => {
    const raw = Buffer.concat([Buffer.from('{"id":"1","specversion":"1.0","source":"a","type":"t","x":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const parsed = { id: '1', specversion: '1.0', source: 'a', type: 't', x: '\ufffd\ufffd' };
    const body = deliveryBody({ event: parsed, raw });
    expect(body).not.toBe(raw);
    expect(JSON.parse(Buffer.from(body).toString('utf8'))).toEqual(parsed);
  });
});
