import * as grpc from '@grpc/grpc-js';
import { permanentHttpHeaders } from '../permanent-http-headers.ts';

/** Metadata gRPC itself owns on a response; never turned into HTTP headers. */
const reservedResponseMetadata = new Set([
  'content-type',
  'content-length',
  'user-agent',
  'te',
  'date',
  'grpc-status',
  'grpc-message',
  'grpc-status-details-bin',
  'grpc-encoding',
  'grpc-accept-encoding',
  'grpc-timeout',
  'grpc-message-type',
]);

const validKey = /^[0-9a-z_.-]+$/;

function add(metadata: grpc.Metadata, key: string, value: string): void {
  if (!validKey.test(key)) return;
  try {
    // Binary metadata travels base64-encoded in HTTP headers and message metadata.
    if (key.endsWith('-bin')) metadata.add(key, Buffer.from(value, 'base64'));
    else metadata.add(key, value);
  } catch {
    // A value gRPC cannot carry (outside printable ASCII) is left out rather than failing the call.
  }
}

/**
 * The headers of an invocation as gRPC metadata for the app, as daprd converts them:
 * permanent HTTP headers get a `dapr-` prefix, pseudo-headers and names gRPC cannot carry
 * are left out.
 */
export function metadataFromHeaders(headers: Readonly<Record<string, string | string[]>>): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [name, value] of Object.entries(headers)) {
    let key = name.toLowerCase();
    if (key.startsWith(':')) continue;
    if (permanentHttpHeaders.has(key)) key = `dapr-${key}`;
    for (const item of Array.isArray(value) ? value : [value]) add(metadata, key, item);
  }
  return metadata;
}

/** Pub/sub message metadata as gRPC metadata for OnTopicEvent; the payload's own length and type do not apply. */
export function metadataFromMap(map: Readonly<Record<string, string>>): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [name, value] of Object.entries(map)) {
    const key = name.toLowerCase();
    if (key === 'content-type' || key === 'content-length') continue;
    add(metadata, key, value);
  }
  return metadata;
}

/**
 * The app's response metadata as HTTP headers, as daprd hands them to an HTTP caller: binary
 * and gRPC-owned entries dropped, other `grpc-*` names renamed `dapr-grpc-*`.
 */
export function headersFromMetadata(metadata: grpc.Metadata | undefined): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  if (!metadata) return headers;
  for (const [key, values] of Object.entries(metadata.toJSON())) {
    if (key.endsWith('-bin') || reservedResponseMetadata.has(key) || key.startsWith(':')) continue;
    const name = key.startsWith('grpc-') ? `dapr-${key}` : key;
    const texts = values.map((v) => (typeof v === 'string' ? v : v.toString('utf8')));
    if (texts.length > 0) headers[name] = texts.length === 1 ? texts[0]! : texts;
  }
  return headers;
}
