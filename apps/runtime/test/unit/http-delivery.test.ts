import { silentLogger } from '@mecha/core';
import { describe, expect, it } from 'vitest';
import { statusFromResponse } from '../../src/app/http-delivery.ts';

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
