import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daprProtos } from '../src/grpc/protos.ts';
import { DaprGrpcClient, rejectionOf, richError } from './support/dapr-grpc-client.ts';
import { startMechad, type MechadProcess } from './support/mechad-process.ts';

/** Encodes a message of the Dapr protos by its full name, for hand-made request bytes. */
function encode(typeName: string, value: Record<string, unknown>): Buffer {
  const definition = daprProtos().dapr.service;
  const method = Object.values(definition).find((m) => m.path.endsWith(`/${typeName}`));
  if (!method) throw new Error(`no method ${typeName}`);
  return method.requestSerialize(value);
}

/**
 * Malformed, oversize and wrong requests over gRPC: each gets daprd's status code, the sidecar
 * stays up, and a value stored before the bad calls is unchanged after them.
 */
describe('gRPC API: bad input', () => {
  let sidecar: MechadProcess;
  let client: DaprGrpcClient;
  const seed = Buffer.from('seeded value');

  beforeAll(async () => {
    sidecar = await startMechad({ appId: 'grpc-bad-input', args: ['--max-body-size', '64Ki'] });
    // Lets the client itself send more than the server accepts.
    client = new DaprGrpcClient(sidecar.grpcPort, { 'grpc.max_send_message_length': -1 });
    await client.call('SaveState', { store_name: 'statestore', states: [{ key: 'seed', value: seed }] });
  });

  afterAll(async () => {
    client?.close();
    await sidecar?.stop();
  });

  async function seedIsIntact(): Promise<void> {
    const found = await client.call<{ data: Buffer; etag: string }>('GetState', { store_name: 'statestore', key: 'seed' });
    expect(found.data).toEqual(seed);
    expect(sidecar.process.exitCode).toBeNull();
  }

  it('garbage bytes are refused by the decoder (INTERNAL, as grpc-js answers), nothing stored', async () => {
    // 0x12 = field 2, length-delimited; the length then runs past the end of the message.
    for (const bytes of [Buffer.from([0x12, 0xff, 0xff, 0x01, 0x00]), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]) {
      const status = await client.sendRaw('SaveState', bytes);
      expect(status.code).toBe(grpc.status.INTERNAL);
      expect(status.details).toMatch(/deserializ/i);
    }
    await seedIsIntact();
  });

  it('a message of the wrong type for the method does not reach the store', async () => {
    // A PublishEventRequest sent to SaveState: its field 2 (topic, a string) lands on SaveStateRequest.states.
    const status = await client.sendRaw('SaveState', encode('PublishEvent', { pubsub_name: 'statestore', topic: 'seed', data: Buffer.from('overwrite') }));
    expect(status.code).toBe(grpc.status.INTERNAL);
    expect(status.details).toMatch(/deserializ/i);
    await seedIsIntact();
  });

  it('a message over --max-body-size is RESOURCE_EXHAUSTED and the store is untouched', async () => {
    const big = Buffer.alloc(70 * 1024, 0x61);
    const error = await rejectionOf(client.call('SaveState', { store_name: 'statestore', states: [{ key: 'seed', value: big }] }));
    expect(error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const publish = await rejectionOf(client.call('PublishEvent', { pubsub_name: 'pubsub', topic: 't', data: big }));
    expect(publish.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    // Just under the limit still works, on the same channel.
    await client.call('SaveState', { store_name: 'statestore', states: [{ key: 'almost', value: Buffer.alloc(60 * 1024, 0x62) }] });
    await seedIsIntact();
  });

  it('an unknown state store is INVALID_ARGUMENT with ErrorInfo DAPR_STATE_NOT_FOUND', async () => {
    for (const [method, request] of [
      ['GetState', { store_name: 'nope', key: 'seed' }],
      ['SaveState', { store_name: 'nope', states: [{ key: 'seed', value: Buffer.from('x') }] }],
      ['DeleteState', { store_name: 'nope', key: 'seed' }],
      ['GetBulkState', { store_name: 'nope', keys: ['seed'] }],
      ['DeleteBulkState', { store_name: 'nope', states: [{ key: 'seed' }] }],
      ['ExecuteStateTransaction', { storeName: 'nope', operations: [] }],
      ['QueryStateAlpha1', { store_name: 'nope', query: '{}' }],
    ] as const) {
      const error = await rejectionOf(client.call(method, request));
      expect(error.code, method).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error.details).toBe('state store nope is not found');
      const rich = richError(error);
      expect(rich.errorInfo).toMatchObject({ reason: 'DAPR_STATE_NOT_FOUND', domain: 'dapr.io' });
      expect(rich.resourceInfo).toBeUndefined();
    }
    await seedIsIntact();
  });

  it('an unknown pub/sub, an empty name or topic, and a bad rawPayload are INVALID_ARGUMENT', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ pubsub_name: 'nope', topic: 't' }, 'pubsub nope is not found', 'DAPR_PUBSUB_NOT_FOUND'],
      [{ pubsub_name: '', topic: 't' }, 'pubsub name is empty', 'DAPR_PUBSUB_NAME_EMPTY'],
      [{ pubsub_name: 'pubsub', topic: '' }, 'topic is empty in pubsub pubsub', 'DAPR_PUBSUB_TOPIC_NAME_EMPTY'],
      [{ pubsub_name: 'pubsub', topic: 't', metadata: { rawPayload: 'yes' } }, "failed deserializing metadata. Error: rawPayload value must be a valid boolean: actual is 'yes'", 'DAPR_PUBSUB_METADATA_DESERIALIZATION'],
    ];
    for (const [request, message, reason] of cases) {
      for (const method of ['PublishEvent', 'BulkPublishEvent']) {
        const body = method === 'PublishEvent' ? { ...request, data: Buffer.from('x') } : { ...request, entries: [{ entry_id: '1', event: Buffer.from('x'), content_type: 'text/plain' }] };
        const error = await rejectionOf(client.call(method, body));
        expect(error.code, `${method} ${message}`).toBe(grpc.status.INVALID_ARGUMENT);
        expect(error.details).toBe(message);
        expect(richError(error).errorInfo?.reason).toBe(reason);
      }
    }
  });

  it('an empty key and a key containing || are INVALID_ARGUMENT', async () => {
    const empty = await rejectionOf(client.call('SaveState', { store_name: 'statestore', states: [{ key: '', value: Buffer.from('x') }] }));
    expect(empty.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(empty.details).toBe('state key cannot be empty');
    for (const [method, request] of [
      ['SaveState', { store_name: 'statestore', states: [{ key: 'a||seed', value: Buffer.from('x') }] }],
      ['GetState', { store_name: 'statestore', key: 'a||seed' }],
      ['DeleteState', { store_name: 'statestore', key: 'a||seed' }],
    ] as const) {
      const error = await rejectionOf(client.call(method, request));
      expect(error.code, method).toBe(grpc.status.INVALID_ARGUMENT);
      expect(richError(error).errorInfo?.reason).toBe('DAPR_STATE_ILLEGAL_KEY');
    }
    await seedIsIntact();
  });

  it('a value marked application/json that is not JSON is INVALID_ARGUMENT', async () => {
    const error = await rejectionOf(client.call('SaveState', { store_name: 'statestore', states: [{ key: 'seed', value: Buffer.from('{nope'), metadata: { contentType: 'application/json' } }] }));
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    await seedIsIntact();
  });

  it('an enum value no name matches is "not given", as daprd reads it', async () => {
    // Encoded by hand: StateOptions.concurrency = 7 has no name in the published protos.
    const options = Buffer.from([0x08, 0x07]);
    const item = Buffer.concat([Buffer.from([0x0a, 0x04]), Buffer.from('enum'), Buffer.from([0x12, 0x01, 0x7a, 0x2a, options.length]), options]);
    const request = Buffer.concat([Buffer.from([0x0a, 0x0a]), Buffer.from('statestore'), Buffer.from([0x12, item.length]), item]);
    const status = await client.sendRaw('SaveState', request);
    expect(status.code).toBe(grpc.status.OK);
    const found = await client.call<{ data: Buffer }>('GetState', { store_name: 'statestore', key: 'enum' });
    expect(found.data.toString()).toBe('z');
  });

  it('is still up and serving both APIs after all of it', async () => {
    await seedIsIntact();
    expect((await fetch(`${sidecar.url}/v1.0/healthz`)).status).toBe(204);
    const metadata = await client.call<{ id: string }>('GetMetadata', {});
    expect(metadata.id).toBe('grpc-bad-input');
  });
});
