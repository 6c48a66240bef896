import { MechaError } from '@mecha/core';
import type { FastifyRequest } from 'fastify';

/** Every body arrives as a Buffer (see server.ts); an empty one as an empty Buffer. */
export function rawBody(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

/** Parses a JSON body, answering daprd's ERR_MALFORMED_REQUEST when it is not JSON. */
export function jsonBody(request: FastifyRequest, prefix = ''): unknown {
  const body = rawBody(request);
  try {
    if (body.length === 0) throw new SyntaxError('unexpected end of JSON input (empty body)');
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (error) {
    throw new MechaError('ERR_MALFORMED_REQUEST', 'invalid-argument', `${prefix}${(error as Error).message}`);
  }
}

/** `metadata.<k>=<v>` query parameters as request metadata, daprd's convention (first value wins). */
export function queryMetadata(request: FastifyRequest): Record<string, string> {
  const query = request.query as Record<string, string | string[] | undefined>;
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (!name.startsWith('metadata.') || value === undefined) continue;
    metadata[name.slice('metadata.'.length)] = Array.isArray(value) ? (value[0] ?? '') : value;
  }
  return metadata;
}

export function queryParam(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The raw query string of the request URL, without `?`. */
export function rawQuery(request: FastifyRequest): string {
  const index = request.url.indexOf('?');
  return index === -1 ? '' : request.url.slice(index + 1);
}

export function malformed(message: string): MechaError {
  return new MechaError('ERR_MALFORMED_REQUEST', 'invalid-argument', message);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A metadata map from a JSON body: string values only, as Dapr's API types it. */
export function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw malformed(`${field} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw malformed(`${field}.${key} must be a string`);
    out[key] = v;
  }
  return out;
}
