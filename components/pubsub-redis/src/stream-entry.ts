import type { BrokerMessage } from '@mecha/pubsub';

/**
 * The fields of one stream entry. `data` and `metadata` (a JSON object of strings) are
 * Dapr's own layout, so daprd and Mecha read each other's messages; `contentType` is
 * Mecha's addition, which daprd ignores.
 */
export const DATA_FIELD = 'data';
export const METADATA_FIELD = 'metadata';
export const CONTENT_TYPE_FIELD = 'contentType';

/** Field/value arguments for XADD. Empty metadata is left out, as daprd does with none. */
export function entryFields(message: BrokerMessage): Array<string | Buffer> {
  const fields: Array<string | Buffer> = [DATA_FIELD, Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength)];
  if (Object.keys(message.metadata).length > 0) fields.push(METADATA_FIELD, JSON.stringify(message.metadata));
  if (message.contentType) fields.push(CONTENT_TYPE_FIELD, message.contentType);
  return fields;
}

/** One entry as a reply gives it: `fields` is null when the entry was trimmed or deleted. */
export interface StreamEntry {
  id: string;
  fields: Map<string, Buffer> | null;
}

/**
 * Reads the entries of an XREADGROUP/XCLAIM/XAUTOCLAIM reply (`[id, [field, value, …]]`
 * pairs, with buffers). Anything not shaped like an entry is skipped.
 */
export function parseEntries(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  const entries: StreamEntry[] = [];
  for (const item of reply) {
    if (!Array.isArray(item) || item.length < 1) continue;
    const id = toText(item[0]);
    if (id === undefined) continue;
    const raw: unknown = item[1];
    if (!Array.isArray(raw)) {
      entries.push({ id, fields: null });
      continue;
    }
    const fields = new Map<string, Buffer>();
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = toText(raw[i]);
      const value: unknown = raw[i + 1];
      if (name !== undefined) fields.set(name, Buffer.isBuffer(value) ? value : Buffer.from(String(value)));
    }
    entries.push({ id, fields });
  }
  return entries;
}

/** The entries of the one stream an XREADGROUP reply names (`[[stream, entries]]` or null). */
export function parseReadReply(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  return reply.flatMap((stream: unknown) => (Array.isArray(stream) ? parseEntries(stream[1]) : []));
}

export interface DecodedEntry {
  message: BrokerMessage;
  /** Why the metadata field could not be read, when it could not. */
  metadataProblem?: string;
}

/** The broker message an entry carries. An entry without `data` (not written by Dapr or Mecha) has empty data. */
export function decodeEntry(topic: string, fields: Map<string, Buffer>): DecodedEntry {
  const data = fields.get(DATA_FIELD);
  const message: BrokerMessage = {
    topic,
    data: data ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(0),
    metadata: {},
  };
  const contentType = fields.get(CONTENT_TYPE_FIELD)?.toString('utf8');
  if (contentType) message.contentType = contentType;
  const metadata = fields.get(METADATA_FIELD);
  if (metadata === undefined) return { message };
  try {
    const parsed: unknown = JSON.parse(metadata.toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value === 'string') message.metadata[key] = value;
      else if (value !== null && value !== undefined) message.metadata[key] = typeof value === 'object' ? JSON.stringify(value) : String(value);
    }
    return { message };
  } catch (error) {
    return { message, metadataProblem: (error as Error).message };
  }
}

function toText(value: unknown): string | undefined {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'string') return value;
  return undefined;
}
