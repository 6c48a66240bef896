import { MechaError } from '@mecha/core';
import type { StateRequestOptions, StateTransactionOperation } from '@mecha/state';
import { queryState } from '../../state-query.ts';
import type { DaprHandlers } from '../handlers.ts';
import { unary } from '../handlers.ts';
import type { GrpcApiContext } from './context.ts';

/**
 * The state methods of `dapr.proto.runtime.v1.Dapr`, as the service definitions in protos.ts hand them over (field
 * names as in the .proto, enums as names, bytes as Buffers, absent messages as null).
 * Values travel as bytes and are stored raw: a value saved here comes back byte for byte,
 * over either API, as one saved over HTTP (its JSON text) does.
 */
type Metadata = Record<string, string>;
/** An enum arrives as its name; a number no name matches (a newer client's value) arrives as the number. */
type EnumValue = string | number;

interface Etag {
  value: string;
}
interface StateOptions {
  concurrency: EnumValue;
  consistency: EnumValue;
}
interface StateItem {
  key: string;
  value: Buffer;
  etag: Etag | null;
  metadata: Metadata;
  options: StateOptions | null;
}

/** daprd maps only the two named values; UNSPECIFIED and unknown numbers mean "not given" (`pkg/api/grpc/util.go`). */
function concurrencyOf(value: EnumValue | undefined): StateRequestOptions['concurrency'] {
  if (value === 'CONCURRENCY_FIRST_WRITE') return 'first-write';
  if (value === 'CONCURRENCY_LAST_WRITE') return 'last-write';
  return undefined;
}

function consistencyOf(value: EnumValue | undefined): StateRequestOptions['consistency'] {
  if (value === 'CONSISTENCY_STRONG') return 'strong';
  if (value === 'CONSISTENCY_EVENTUAL') return 'eventual';
  return undefined;
}

function optionsOf(options: StateOptions | null): StateRequestOptions {
  if (!options) return {};
  const out: StateRequestOptions = {};
  const concurrency = concurrencyOf(options.concurrency);
  const consistency = consistencyOf(options.consistency);
  if (concurrency) out.concurrency = concurrency;
  if (consistency) out.consistency = consistency;
  return out;
}

/** A present Etag message with an empty value is no ETag, as for daprd's stores. */
function etagOf(etag: Etag | null): string | undefined {
  return etag?.value ? etag.value : undefined;
}

/**
 * The value to store: the bytes as given, except that daprd decodes a value whose item
 * metadata says `contentType: application/json` and stores its JSON (`pkg/api/grpc/grpc.go` SaveState).
 */
function valueOf(item: StateItem): unknown {
  if (item.metadata['contentType'] !== 'application/json') return item.value;
  try {
    return JSON.parse(item.value.toString('utf8')) as unknown;
  } catch (error) {
    throw new MechaError('ERR_MALFORMED_REQUEST', 'invalid-argument', `state item ${item.key}: the value is not JSON (metadata contentType is application/json): ${(error as Error).message}`);
  }
}

export function stateHandlers(context: GrpcApiContext): DaprHandlers {
  const { services } = context;
  return {
    GetState: unary(async (request: { store_name: string; key: string; consistency: EnumValue; metadata: Metadata }) => {
      const store = services.stateStore(request.store_name);
      const found = await store.get(request.key, { consistency: consistencyOf(request.consistency), metadata: request.metadata });
      // A missing key is an empty answer, not an error (daprd).
      if (!found) return { data: Buffer.alloc(0), etag: '', metadata: {} };
      return { data: Buffer.from(found.value), etag: found.etag ?? '', metadata: found.metadata };
    }),

    GetBulkState: unary(async (request: { store_name: string; keys: string[]; parallelism: number; metadata: Metadata }) => {
      const store = services.stateStore(request.store_name);
      const results = await store.getBulk(request.keys, { parallelism: request.parallelism > 0 ? request.parallelism : undefined, metadata: request.metadata });
      return {
        items: results.map((r) => ({
          key: r.key,
          data: r.value === undefined ? Buffer.alloc(0) : Buffer.from(r.value),
          etag: r.etag ?? '',
          error: r.error ?? '',
          metadata: r.metadata ?? {},
        })),
      };
    }),

    SaveState: unary(async (request: { store_name: string; states: StateItem[] }) => {
      const store = services.stateStore(request.store_name);
      if (request.states.length === 0) return {};
      const items = request.states.map((item) => {
        if (!item.key) {
          throw new MechaError('ERR_STATE_SAVE', 'invalid-argument', 'state key cannot be empty', { resource: { type: 'state', name: store.name } });
        }
        return { key: item.key, value: valueOf(item), etag: etagOf(item.etag), metadata: item.metadata, options: optionsOf(item.options) };
      });
      await store.save(items);
      return {};
    }),

    DeleteState: unary(async (request: { store_name: string; key: string; etag: Etag | null; options: StateOptions | null; metadata: Metadata }) => {
      const store = services.stateStore(request.store_name);
      await store.delete(request.key, { etag: etagOf(request.etag), metadata: request.metadata, options: optionsOf(request.options) });
      return {};
    }),

    DeleteBulkState: unary(async (request: { store_name: string; states: StateItem[] }) => {
      const store = services.stateStore(request.store_name);
      if (request.states.length === 0) return {};
      await store.deleteBulk(
        request.states.map((item) => ({ key: item.key, etag: etagOf(item.etag), metadata: item.metadata, options: optionsOf(item.options) })),
      );
      return {};
    }),

    ExecuteStateTransaction: unary(
      async (request: { storeName: string; operations: { operationType: string; request: StateItem | null }[]; metadata: Metadata }) => {
        const store = services.stateStore(request.storeName);
        // daprd refuses a store without transactions before it looks at the operations.
        store.assertTransactional();
        const operations: StateTransactionOperation[] = request.operations.map(({ operationType, request: item }) => {
          const key = item?.key ?? '';
          const common = { key, etag: etagOf(item?.etag ?? null), metadata: item?.metadata ?? {}, options: optionsOf(item?.options ?? null) };
          // Values are stored raw, as daprd's transactions pass them to the store.
          return { operation: operationType, request: operationType === 'upsert' ? { ...common, value: item?.value ?? Buffer.alloc(0) } : common };
        });
        await store.transaction(operations, request.metadata);
        return {};
      },
    ),

    QueryStateAlpha1: unary(async (request: { store_name: string; query: string; metadata: Metadata }) => {
      const result = await queryState(services.stateStore(request.store_name), request.query ?? '', request.metadata ?? {});
      return {
        results: result.results.map((item) => ({ key: item.key, data: Buffer.from(item.value), etag: item.etag ?? '', error: '' })),
        token: result.token ?? '',
        metadata: {},
      };
    }),
  };
}
