import { silentLogger } from '@mecha/core';
import type { AppChannel, InvokeRequest } from '@mecha/invocation';
import type { BulkDelivery } from '@mecha/pubsub';
import { describe, expect, it } from 'vitest';
import { bulkRequestBody, httpBulkDelivery, statusesFromBody } from '../../src/app/http-bulk-delivery.ts';

const delivery: BulkDelivery = {
  id: 'batch-1',
  path: '/orders',
  topic: 'orders',
  pubsubName: 'bus',
  rawPayload: false,
  metadata: { pubsubName: 'bus' },
  entries: [
    { entryId: 'e1', event: { id: 'a', source: 's', type: 't', specversion: '1.0', data: { n: 1 } }, data: Buffer.from('{}'), contentType: 'application/cloudevents+json', metadata: { traceparent: 'tp' } },
    { entryId: 'e2', event: { id: 'b', source: 's', type: 't', specversion: '1.0', data: { n: 2 } }, data: Buffer.from('{}'), contentType: 'application/cloudevents+json', metadata: {} },
  ],
};

/** A channel answering every call with one status and body, keeping the requests. */
function channel(status: number, body = ''): AppChannel & { requests: InvokeRequest[] } {
  const requests: InvokeRequest[] = [];
  return {
    requests,
    async invoke(request) {
      requests.push(request);
      return { status, headers: {}, body: Buffer.from(body) };
    },
    async close() {},
  } as AppChannel & { requests: InvokeRequest[] };
}

describe('HTTP bulk delivery', () => {
  it("posts daprd's bulk envelope as JSON to the batch's path, with the batch metadata as headers", async () => {
    const app = channel(200, '{"statuses":[{"entryId":"e1","status":"SUCCESS"},{"entryId":"e2","status":"DROP"}]}');
    const statuses = await httpBulkDelivery(app, silentLogger())(delivery);
    expect(statuses).toEqual([
      { entryId: 'e1', status: 'SUCCESS' },
      { entryId: 'e2', status: 'DROP' },
    ]);
    const [request] = app.requests;
    expect(request).toMatchObject({ method: 'orders', httpVerb: 'POST', headers: { 'content-type': 'application/json', pubsubname: 'bus' } });
    expect(JSON.parse(Buffer.from(request!.body).toString())).toEqual({
      id: 'batch-1',
      type: 'com.dapr.event.sent.bulk',
      topic: 'orders',
      pubsubname: 'bus',
      metadata: { pubsubName: 'bus' },
      entries: [
        { entryId: 'e1', event: delivery.entries[0]!.event, contentType: 'application/cloudevents+json', metadata: { traceparent: 'tp' } },
        { entryId: 'e2', event: delivery.entries[1]!.event, contentType: 'application/cloudevents+json', metadata: {} },
      ],
    });
  });

  it('sends raw payloads in base64', () => {
    const body = bulkRequestBody({ ...delivery, rawPayload: true, entries: [{ ...delivery.entries[0]!, data: Buffer.from([1, 2, 255]) }] });
    expect((body['entries'] as { event: unknown }[])[0]!.event).toBe(Buffer.from([1, 2, 255]).toString('base64'));
  });

  it('drops every entry on 404 and fails the batch (every entry retried) on any other error status', async () => {
    expect(await httpBulkDelivery(channel(404), silentLogger())(delivery)).toEqual([
      { entryId: 'e1', status: 'DROP' },
      { entryId: 'e2', status: 'DROP' },
    ]);
    await expect(httpBulkDelivery(channel(500, 'boom'), silentLogger())(delivery)).rejects.toThrow(/status 500/);
    await expect(httpBulkDelivery(channel(302), silentLogger())(delivery)).rejects.toThrow(/status 302/);
  });

  it.each([
    ['', /without a JSON body/],
    ['ok', /without a JSON body/],
    ['{"statuses":{"e1":"SUCCESS"}}', /not an array/],
  ])('fails the batch on a 2xx answer of %j', (text, error) => {
    expect(() => statusesFromBody(Buffer.from(text), '/orders')).toThrow(error);
  });

  it('reads statuses as Go decodes them: names in any case, an empty status as RETRY, entries without an id skipped', () => {
    expect(
      statusesFromBody(
        Buffer.from('{"Statuses":[{"entryID":"e1","status":"SUCCESS"},{"entryId":"e2","status":""},{"status":"SUCCESS"},{"entryId":"e3","status":"success"}]}'),
        '/orders',
      ),
    ).toEqual([
      { entryId: 'e1', status: 'SUCCESS' },
      { entryId: 'e2', status: 'RETRY' },
      { entryId: 'e3', status: 'success' },
    ]);
    expect(statusesFromBody(Buffer.from('{}'), '/orders')).toEqual([]);
    expect(statusesFromBody(Buffer.from('{"statuses":null}'), '/orders')).toEqual([]);
  });
});
