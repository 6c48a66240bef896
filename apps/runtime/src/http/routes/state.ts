import { MechaError } from '@mecha/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BlockServices } from '../../block-services.ts';
import { queryState } from '../../state-query.ts';
import { isRecord, jsonBody, malformed, queryMetadata, queryParam, rawBody, stringMap } from '../request-helpers.ts';

type Options = { concurrency?: 'first-write' | 'last-write'; consistency?: 'strong' | 'eventual' };

/** Dapr's `options` object; unknown values are passed on so the block refuses them in one place. */
function stateOptions(value: unknown, field: string): Options {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw malformed(`${field} must be an object`);
  const out: Options = {};
  if (value['concurrency'] !== undefined && value['concurrency'] !== '') out.concurrency = String(value['concurrency']) as Options['concurrency'];
  if (value['consistency'] !== undefined && value['consistency'] !== '') out.consistency = String(value['consistency']) as Options['consistency'];
  return out;
}

/** A value saved through the HTTP API is stored as its JSON text, as daprd stores it. */
function encodeValue(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value === undefined ? null : value));
}

/** An ETag as a string, or as `{ value }` (the shape the JS SDK's transaction type uses, from the protobuf Etag). */
function etagOf(value: unknown, field: string): string | undefined {
  if (isRecord(value) && Object.keys(value).length === 1 && 'value' in value) return etagOf(value['value'], field);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw malformed(`${field} must be a string`);
  return value;
}

function saveItems(body: unknown, requestMetadata: Record<string, string>) {
  if (!Array.isArray(body)) throw malformed('the request body must be a JSON array of state items');
  return body.map((item, index) => {
    if (!isRecord(item)) throw malformed(`item ${index} must be an object`);
    if (typeof item['key'] !== 'string' || item['key'] === '') throw malformed('"key" is a required field');
    return {
      key: item['key'],
      value: encodeValue(item['value']),
      etag: etagOf(item['etag'], `item ${index} etag`),
      metadata: { ...stringMap(item['metadata'], `item ${index} metadata`), ...requestMetadata },
      options: stateOptions(item['options'], `item ${index} options`),
    };
  });
}

/** The stored bytes inline in a JSON document when they are JSON, else as a JSON string. */
function rawJson(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('utf8');
  try {
    JSON.parse(text);
    return text;
  } catch {
    return JSON.stringify(text);
  }
}

export function registerStateRoutes(app: FastifyInstance, services: BlockServices): void {
  const save = async (request: FastifyRequest<{ Params: { store: string } }>, reply: FastifyReply) => {
    const store = services.stateStore(request.params.store);
    const items = saveItems(jsonBody(request), queryMetadata(request));
    if (items.length > 0) await store.save(items);
    return reply.code(204).send();
  };
  app.post<{ Params: { store: string } }>('/v1.0/state/:store', save);
  app.put<{ Params: { store: string } }>('/v1.0/state/:store', save);

  app.get<{ Params: { store: string; key: string } }>('/v1.0/state/:store/:key', async (request, reply) => {
    const store = services.stateStore(request.params.store);
    const consistency = queryParam(request, 'consistency') as Options['consistency'];
    const found = await store.get(request.params.key, { consistency: consistency || undefined, metadata: queryMetadata(request) });
    if (!found) return reply.code(204).send();
    if (found.etag !== undefined) reply.header('etag', found.etag);
    for (const [name, value] of Object.entries(found.metadata ?? {})) reply.header(`metadata.${name}`, value);
    return reply.code(200).type('application/json').send(Buffer.from(found.value));
  });

  app.delete<{ Params: { store: string; key: string } }>('/v1.0/state/:store/:key', async (request, reply) => {
    const store = services.stateStore(request.params.store);
    const ifMatch = request.headers['if-match'];
    await store.delete(request.params.key, {
      // daprd takes the ETag only from If-Match; an empty header still counts as an ETag.
      etag: ifMatch === undefined ? undefined : String(ifMatch),
      metadata: queryMetadata(request),
      options: stateOptions({ concurrency: queryParam(request, 'concurrency'), consistency: queryParam(request, 'consistency') }, 'options'),
    });
    return reply.code(204).send();
  });

  const bulk = async (request: FastifyRequest<{ Params: { store: string } }>, reply: FastifyReply) => {
    const store = services.stateStore(request.params.store);
    const body = jsonBody(request, 'failed deserializing HTTP body: ');
    if (!isRecord(body)) throw malformed('failed deserializing HTTP body: expected an object with "keys"');
    // daprd answers `{}` (no keys) with an empty list.
    const keys = body['keys'] ?? [];
    if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) throw malformed('failed deserializing HTTP body: "keys" must be an array of strings');
    const parallelism = body['parallelism'];
    if (parallelism !== undefined && (typeof parallelism !== 'number' || !Number.isInteger(parallelism) || parallelism < 0)) {
      throw malformed('failed deserializing HTTP body: "parallelism" must be a non-negative integer');
    }
    const metadata = { ...stringMap(body['metadata'], 'metadata'), ...queryMetadata(request) };
    const results = await store.getBulk(keys as string[], { parallelism: parallelism || undefined, metadata });
    // Built by hand so stored JSON is embedded as JSON rather than re-encoded.
    const parts = results.map((r) => {
      const fields = [`"key":${JSON.stringify(r.key)}`];
      if (r.value !== undefined) fields.push(`"data":${rawJson(r.value)}`);
      if (r.etag !== undefined) fields.push(`"etag":${JSON.stringify(r.etag)}`);
      if (r.metadata && Object.keys(r.metadata).length > 0) fields.push(`"metadata":${JSON.stringify(r.metadata)}`);
      if (r.error !== undefined) fields.push(`"error":${JSON.stringify(r.error)}`);
      return `{${fields.join(',')}}`;
    });
    return reply.code(200).type('application/json').send(`[${parts.join(',')}]`);
  };
  app.post<{ Params: { store: string } }>('/v1.0/state/:store/bulk', bulk);
  app.put<{ Params: { store: string } }>('/v1.0/state/:store/bulk', bulk);

  const transaction = async (request: FastifyRequest<{ Params: { store: string } }>, reply: FastifyReply) => {
    const store = services.stateStore(request.params.store);
    // daprd refuses a store without transactions before it reads the body.
    store.assertTransactional();
    const body = jsonBody(request, 'failed deserializing HTTP body: ');
    if (!isRecord(body)) throw malformed('failed deserializing HTTP body: expected an object with "operations"');
    const operations = body['operations'] ?? [];
    if (!Array.isArray(operations)) throw malformed('failed deserializing HTTP body: "operations" must be an array');
    const requestMetadata = { ...stringMap(body['metadata'], 'metadata'), ...queryMetadata(request) };
    const ops = operations.map((op, index) => {
      if (!isRecord(op) || !isRecord(op['request'])) throw malformed(`operation ${index} must be {operation, request}`);
      const kind = op['operation'];
      if (kind !== 'upsert' && kind !== 'delete') {
        throw new MechaError('ERR_NOT_SUPPORTED_STATE_OPERATION', 'invalid-argument', `operation type ${String(kind)} not supported`);
      }
      const req = op['request'];
      if (typeof req['key'] !== 'string' || req['key'] === '') throw malformed(`operation ${index}: "key" is a required field`);
      return {
        operation: kind,
        request: {
          key: req['key'],
          ...(kind === 'upsert' ? { value: encodeValue(req['value']) } : {}),
          etag: etagOf(req['etag'], `operation ${index} etag`),
          metadata: stringMap(req['metadata'], `operation ${index} metadata`),
          options: stateOptions(req['options'], `operation ${index} options`),
        },
      };
    });
    if (ops.length > 0) await store.transaction(ops, requestMetadata);
    return reply.code(204).send();
  };
  app.post<{ Params: { store: string } }>('/v1.0/state/:store/transaction', transaction);
  app.put<{ Params: { store: string } }>('/v1.0/state/:store/transaction', transaction);

  const query = async (request: FastifyRequest<{ Params: { store: string } }>, reply: FastifyReply) => {
    const result = await queryState(services.stateStore(request.params.store), rawBody(request), queryMetadata(request));
    // daprd answers an empty result with 204.
    if (result.results.length === 0) return reply.code(204).send();
    const items = result.results.map((item) => {
      const fields = [`"key":${JSON.stringify(item.key)}`, `"data":${rawJson(item.value)}`];
      if (item.etag !== undefined) fields.push(`"etag":${JSON.stringify(item.etag)}`);
      return `{${fields.join(',')}}`;
    });
    const token = result.token === undefined ? '' : `,"token":${JSON.stringify(result.token)}`;
    return reply.code(200).type('application/json').send(`{"results":[${items.join(',')}]${token}}`);
  };
  app.post<{ Params: { store: string } }>('/v1.0-alpha1/state/:store/query', query);
  app.put<{ Params: { store: string } }>('/v1.0-alpha1/state/:store/query', query);
}
