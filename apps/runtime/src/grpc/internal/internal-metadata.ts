import * as grpc from '@grpc/grpc-js';
import type { InternalMetadata } from './internal-messages.ts';

/** Names daprd sets itself on the wire and that must not reach an app as headers. */
const notForwarded = new Set(['destination-app-id', 'content-type', 'content-length']);

/** HTTP/2 pseudo-headers a gRPC caller's metadata can carry; daprd hands them on as `dapr-<name>`. */
const pseudoHeaders = new Set([':method', ':scheme', ':path', ':authority']);

/** Headers (one or several values each) as the internal protocol's metadata map. */
export function toInternalMetadata(headers: Readonly<Record<string, string | string[]>>): InternalMetadata {
  const metadata: InternalMetadata = {};
  for (const [name, value] of Object.entries(headers)) {
    const values = Array.isArray(value) ? value : [value];
    if (values.length === 0) continue;
    const key = name.toLowerCase();
    const existing = metadata[key];
    if (existing) existing.values.push(...values);
    else metadata[key] = { values: [...values] };
  }
  return metadata;
}

/**
 * The metadata of an internal call or answer as headers for the next HTTP-shaped hop, the
 * way daprd turns it into HTTP headers: names lower-cased (daprd's HTTP side sends
 * `Content-Type`, its gRPC side `content-type`), binary `-bin` entries, lengths and
 * content types dropped (the message carries the content type), and gRPC's reserved names
 * prefixed with `dapr-` so they cannot confuse the next hop.
 */
export function fromInternalMetadata(metadata: Readonly<InternalMetadata> | null | undefined): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [rawName, list] of Object.entries(metadata ?? {})) {
    const values = (list?.values ?? []).filter((v): v is string => typeof v === 'string');
    if (values.length === 0) continue;
    let name = rawName.toLowerCase();
    if (notForwarded.has(name) || name.endsWith('-bin')) continue;
    if (pseudoHeaders.has(name)) name = `dapr-${name.slice(1)}`;
    else if (name.startsWith('grpc-')) name = `dapr-${name}`;
    const existing = headers[name];
    const merged = existing === undefined ? values : [...(Array.isArray(existing) ? existing : [existing]), ...values];
    headers[name] = merged.length === 1 ? merged[0]! : merged;
  }
  return headers;
}

/** The first value of one entry, looked up case-insensitively (daprd's HTTP side keeps the caller's casing). */
export function firstMetadataValue(metadata: Readonly<InternalMetadata> | null | undefined, name: string): string | undefined {
  for (const [key, list] of Object.entries(metadata ?? {})) {
    if (key.toLowerCase() === name && list?.values?.length) return list.values[0];
  }
  return undefined;
}

/** gRPC metadata (a gRPC app's headers or trailers) as the internal map; binary values travel base64-encoded, as daprd sends them. */
export function internalMetadataFromGrpc(metadata: grpc.Metadata | undefined): InternalMetadata {
  const internal: InternalMetadata = {};
  for (const [key, values] of Object.entries(metadata ? metadata.toJSON() : {})) {
    const texts = values.map((v) => (typeof v === 'string' ? v : Buffer.from(v).toString('base64')));
    if (texts.length > 0) internal[key] = { values: texts };
  }
  return internal;
}

/** The internal map as gRPC metadata, `-bin` values decoded; entries gRPC cannot carry are left out. */
export function grpcMetadataFromInternal(internal: Readonly<InternalMetadata> | null | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [rawKey, list] of Object.entries(internal ?? {})) {
    const key = rawKey.toLowerCase();
    for (const value of list?.values ?? []) {
      try {
        if (key.endsWith('-bin')) metadata.add(key, Buffer.from(value, 'base64'));
        else metadata.add(key, value);
      } catch {
        // An invalid metadata name or value: dropped rather than failing the answer.
      }
    }
  }
  return metadata;
}
