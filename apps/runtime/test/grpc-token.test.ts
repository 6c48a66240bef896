import * as grpc from '@grpc/grpc-js';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaprGrpcClient, rejectionOf } from './support/dapr-grpc-client.ts';
import { startMechad, type MechadProcess } from './support/mechad-process.ts';

const token = 'gRPC-t0ken-for-tests';

/** The status a server-streaming call ends with. */
function streamStatus(client: DaprGrpcClient, method: string, request: Record<string, unknown>, metadata: grpc.Metadata): Promise<grpc.StatusObject> {
  const fn = (client.raw as unknown as Record<string, (r: unknown, m: grpc.Metadata) => grpc.ClientReadableStream<unknown>>)[method]!;
  const stream = fn.call(client.raw, request, metadata);
  return new Promise((resolve) => {
    stream.on('data', () => {});
    stream.on('error', () => {});
    stream.on('status', resolve);
  });
}

/** DAPR_API_TOKEN: both APIs demand it (health exempt); calls carrying it pass. */
describe('API token (DAPR_API_TOKEN)', () => {
  let sidecar: MechadProcess;
  let client: DaprGrpcClient;

  beforeAll(async () => {
    sidecar = await startMechad({ appId: 'grpc-token', env: { DAPR_API_TOKEN: token } });
    client = new DaprGrpcClient(sidecar.grpcPort);
  });

  afterAll(async () => {
    client?.close();
    await sidecar?.stop();
  });

  it('refuses gRPC calls without the token, or with a wrong one, as UNAUTHENTICATED', async () => {
    const attempts: Record<string, string>[] = [{}, { 'dapr-api-token': 'wrong' }, { 'dapr-api-token': `${token}x` }, { 'dapr-api-token': '' }];
    for (const metadata of attempts) {
      for (const [method, request] of [
        ['GetMetadata', {}],
        ['SaveState', { store_name: 'statestore', states: [{ key: 'k', value: Buffer.from('sneaky') }] }],
        ['GetState', { store_name: 'statestore', key: 'k' }],
        ['PublishEvent', { pubsub_name: 'pubsub', topic: 't', data: Buffer.from('x') }],
        ['InvokeService', { id: 'grpc-token', message: { method: 'x' } }],
        // An unimplemented method is guarded too: the token check comes first.
        ['GetSecret', { store_name: 's', key: 'k' }],
      ] as const) {
        const error = await rejectionOf(client.call(method, request, metadata));
        expect(error.code, `${method} ${JSON.stringify(metadata)}`).toBe(grpc.status.UNAUTHENTICATED);
      }
    }
    const md = new grpc.Metadata();
    const status = await streamStatus(client, 'SubscribeConfiguration', { store_name: 'c', keys: [] }, md);
    expect(status.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('serves gRPC calls that carry the token; nothing was stored by the refused ones', async () => {
    const auth = { 'dapr-api-token': token };
    const before = await client.call<{ data: Buffer }>('GetState', { store_name: 'statestore', key: 'k' }, auth);
    expect(before.data.length).toBe(0);
    await client.call('SaveState', { store_name: 'statestore', states: [{ key: 'k', value: Buffer.from('allowed') }] }, auth);
    const after = await client.call<{ data: Buffer }>('GetState', { store_name: 'statestore', key: 'k' }, auth);
    expect(after.data.toString()).toBe('allowed');
    const md = new grpc.Metadata();
    md.set('dapr-api-token', token);
    const status = await streamStatus(client, 'SubscribeConfiguration', { store_name: 'c', keys: [] }, md);
    // Past the token check, the method itself answers: this sidecar has no configuration store.
    expect(status.code).toBe(grpc.status.FAILED_PRECONDITION);
  });

  it('the SDK in gRPC mode passes with daprApiToken and fails without it', async () => {
    const options = { daprHost: '127.0.0.1', daprPort: String(sidecar.grpcPort), communicationProtocol: CommunicationProtocolEnum.GRPC, logger: { level: LogLevel.Error } };
    const withToken = new DaprClient({ ...options, daprApiToken: token });
    try {
      await withToken.state.save('statestore', [{ key: 'sdk', value: { ok: true } }]);
      expect(await withToken.state.get('statestore', 'sdk')).toEqual({ ok: true });
    } finally {
      await withToken.stop();
    }
    // No token: the SDK's own calls fail (its connect-time readiness probe is skipped here by calling the client directly).
    const without = new DaprClient({ ...options, daprApiToken: undefined });
    const raw = await without.daprClient.getClient(false);
    const error = (await rejectionOf((raw as unknown as { getMetadata: (r: object) => Promise<unknown> }).getMetadata({}))) as unknown as { code: number };
    // Connect's code for UNAUTHENTICATED.
    expect(error.code).toBe(16);
    await without.stop();
  });

  it('refuses HTTP calls without the token with 401; health endpoints stay open', async () => {
    expect((await fetch(`${sidecar.url}/v1.0/metadata`)).status).toBe(401);
    expect((await fetch(`${sidecar.url}/v1.0/state/statestore/k`, { headers: { 'dapr-api-token': 'wrong' } })).status).toBe(401);
    const allowed = await fetch(`${sidecar.url}/v1.0/state/statestore/k`, { headers: { 'dapr-api-token': token } });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toBe('allowed');
    expect((await fetch(`${sidecar.url}/v1.0/healthz`)).status).toBe(204);
    expect((await fetch(`${sidecar.url}/v1.0/healthz/outbound`)).status).toBe(204);
  });
});
