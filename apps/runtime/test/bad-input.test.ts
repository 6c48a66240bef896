import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMechad, type MechadProcess } from './support/mechad-process.ts';

/** Bad input answers as daprd does, never crashes mechad, and never changes stored data. */
describe('bad input over raw HTTP', () => {
  let sidecar: MechadProcess;
  const api = (path: string) => `${sidecar.url}${path}`;
  const post = (path: string, body: string | Uint8Array, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(api(path), { method: 'POST', body, headers });

  beforeAll(async () => {
    sidecar = await startMechad({ appId: 'bad-input', args: ['--max-body-size', '64Ki'] });
    const seeded = await post('/v1.0/state/statestore', JSON.stringify([{ key: 'precious', value: { keep: true } }]));
    expect(seeded.status).toBe(204);
  });

  afterAll(async () => {
    await sidecar?.stop();
  });

  async function expectError(response: Response, status: number, errorCode: string): Promise<{ message: string }> {
    expect(response.status).toBe(status);
    const body = (await response.json()) as { errorCode: string; message: string };
    expect(body.errorCode).toBe(errorCode);
    expect(body.message).toBeTruthy();
    return body;
  }

  it('malformed JSON on save → 400 ERR_MALFORMED_REQUEST', async () => {
    await expectError(await post('/v1.0/state/statestore', '[{"key": "precious", "value": '), 400, 'ERR_MALFORMED_REQUEST');
  });

  it('wrong types on save → 400 ERR_MALFORMED_REQUEST', async () => {
    await expectError(await post('/v1.0/state/statestore', '{"key": "precious"}'), 400, 'ERR_MALFORMED_REQUEST');
    await expectError(await post('/v1.0/state/statestore', '[{"key": 7, "value": 1}]'), 400, 'ERR_MALFORMED_REQUEST');
    await expectError(await post('/v1.0/state/statestore', '[{"key": "precious", "value": 1, "etag": 5}]'), 400, 'ERR_MALFORMED_REQUEST');
    await expectError(await post('/v1.0/state/statestore', '[{"value": 1}]'), 400, 'ERR_MALFORMED_REQUEST');
  });

  it('malformed JSON on bulk get and transaction → 400 ERR_MALFORMED_REQUEST', async () => {
    await expectError(await post('/v1.0/state/statestore/bulk', '{"keys": ['), 400, 'ERR_MALFORMED_REQUEST');
    await expectError(await post('/v1.0/state/statestore/bulk', '{"keys": "precious"}'), 400, 'ERR_MALFORMED_REQUEST');
    await expectError(await post('/v1.0/state/statestore/transaction', '{"operations": [}'), 400, 'ERR_MALFORMED_REQUEST');
    await expectError(
      await post('/v1.0/state/statestore/transaction', JSON.stringify({ operations: [{ operation: 'merge', request: { key: 'precious' } }] })),
      400,
      'ERR_NOT_SUPPORTED_STATE_OPERATION',
    );
  });

  it('unknown store → 400 ERR_STATE_STORE_NOT_FOUND', async () => {
    const body = await expectError(await fetch(api('/v1.0/state/nosuchstore/precious')), 400, 'ERR_STATE_STORE_NOT_FOUND');
    expect(body.message).toContain('nosuchstore');
    await expectError(await post('/v1.0/state/nosuchstore', JSON.stringify([{ key: 'a', value: 1 }])), 400, 'ERR_STATE_STORE_NOT_FOUND');
  });

  it('ETag mismatch on save → 409 ERR_STATE_SAVE', async () => {
    await expectError(
      await post('/v1.0/state/statestore', JSON.stringify([{ key: 'precious', value: 'overwritten', etag: '424242' }])),
      409,
      'ERR_STATE_SAVE',
    );
  });

  it('ETag mismatch on delete → 409 ERR_STATE_DELETE', async () => {
    await expectError(await fetch(api('/v1.0/state/statestore/precious'), { method: 'DELETE', headers: { 'if-match': '424242' } }), 409, 'ERR_STATE_DELETE');
  });

  it('a key with || → 400 ERR_MALFORMED_REQUEST', async () => {
    await expectError(await post('/v1.0/state/statestore', JSON.stringify([{ key: 'a||b', value: 1 }])), 400, 'ERR_MALFORMED_REQUEST');
  });

  it('unknown pub/sub → 404 ERR_PUBSUB_NOT_FOUND', async () => {
    await expectError(await post('/v1.0/publish/nosuchpubsub/orders', '{}'), 404, 'ERR_PUBSUB_NOT_FOUND');
  });

  it('invalid CloudEvent JSON → ERR_PUBSUB_CLOUD_EVENTS_SER', async () => {
    const response = await post('/v1.0/publish/pubsub/orders', '{"specversion": ', { 'content-type': 'application/cloudevents+json' });
    const body = (await response.json()) as { errorCode: string };
    expect(body.errorCode).toBe('ERR_PUBSUB_CLOUD_EVENTS_SER');
  });

  it('bulk publish with duplicate entry ids → 400 ERR_PUBSUB_EVENTS_SER', async () => {
    const entries = [
      { entryId: '1', event: { a: 1 }, contentType: 'application/json' },
      { entryId: '1', event: { a: 2 }, contentType: 'application/json' },
    ];
    await expectError(await post('/v1.0-alpha1/publish/bulk/pubsub/orders', JSON.stringify(entries)), 400, 'ERR_PUBSUB_EVENTS_SER');
  });

  it('a body over --max-body-size → 413', async () => {
    const huge = JSON.stringify([{ key: 'precious', value: 'x'.repeat(70 * 1024) }]);
    const response = await post('/v1.0/state/statestore', huge);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { errorCode: string }).errorCode).toBe('ERR_BODY_TOO_LARGE');
  });

  it('a body nested too deeply → 400 ERR_MALFORMED_REQUEST, not a crash', async () => {
    const deep = '['.repeat(30_000) + ']'.repeat(30_000); // fits under the 64Ki limit of this suite
    await expectError(await post('/v1.0/state/statestore', `[{"key":"precious","value":${deep}}]`), 400, 'ERR_MALFORMED_REQUEST');
  });

  it('a request line over the header limit → 431 in Dapr format', async () => {
    const response = await fetch(api(`/v1.0/state/statestore/${'k'.repeat(20_000)}`));
    expect(response.status).toBe(431);
    expect(((await response.json()) as { errorCode: string }).errorCode).toBe('ERR_MALFORMED_REQUEST');
  });

  it('bulk get without keys answers an empty list, as daprd', async () => {
    const response = await post('/v1.0/state/statestore/bulk', '{}');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([]);
  });

  it('after all of that, mechad is up and the stored value is unchanged', async () => {
    expect((await fetch(api('/v1.0/healthz/outbound'))).status).toBe(204);
    const response = await fetch(api('/v1.0/state/statestore/precious'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ keep: true });
  });
});

describe('API token', () => {
  let sidecar: MechadProcess;
  beforeAll(async () => {
    sidecar = await startMechad({ appId: 'token', env: { DAPR_API_TOKEN: 's3cret' } });
  });
  afterAll(async () => {
    await sidecar?.stop();
  });

  it('refuses calls without dapr-api-token and accepts them with it; health stays open', async () => {
    expect((await fetch(`${sidecar.url}/v1.0/metadata`)).status).toBe(401);
    expect((await fetch(`${sidecar.url}/v1.0/metadata`, { headers: { 'dapr-api-token': 'wrong' } })).status).toBe(401);
    expect((await fetch(`${sidecar.url}/v1.0/metadata`, { headers: { 'dapr-api-token': 's3cret' } })).status).toBe(200);
    expect((await fetch(`${sidecar.url}/v1.0/healthz/outbound`)).status).toBe(204);
  });
});
