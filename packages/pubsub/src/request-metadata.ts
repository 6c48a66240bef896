import { parseDuration } from '@mecha/core';

/**
 * Reading the per-request metadata daprd gives meaning to (`rawPayload`, `ttlInSeconds`,
 * `cloudevent.*`). Keys match case-insensitively, as daprd's decoding does.
 */
export function metadataValue(
  metadata: Readonly<Record<string, string>> | undefined,
  key: string,
): string | undefined {
  if (!metadata) return undefined;
  if (key in metadata) return metadata[key];
  const wanted = key.toLowerCase();
  for (const [name, value] of Object.entries(metadata)) {
    if (name.toLowerCase() === wanted) return value;
  }
  return undefined;
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go's `strconv.ParseBool`; anything else is an error the caller reports. */
export function parseBoolean(value: string): boolean | undefined {
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  return undefined;
}

/** `rawPayload`: absent or empty is false; a value that is not a boolean throws a TypeError with daprd's wording. */
export function rawPayloadFlag(metadata: Readonly<Record<string, string>> | undefined): boolean {
  const value = metadataValue(metadata, 'rawPayload');
  if (value === undefined || value === '') return false;
  // @dapr/dapr's DaprServer JSON-encodes each subscription metadata value, so a user's
  // `rawPayload: 'true'` arrives as `"true"` with the quotes: read through them.
  const unquoted = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  const parsed = parseBoolean(unquoted);
  if (parsed === undefined)
    throw new TypeError(`rawPayload value must be a valid boolean: actual is '${value}'`);
  return parsed;
}

/** `ttlInSeconds` (or `ttl`) in milliseconds: whole seconds or a Go duration (`90s`, `1m30s`). */
export function messageTtlMs(
  metadata: Readonly<Record<string, string>> | undefined,
): number | undefined {
  const value = metadataValue(metadata, 'ttlInSeconds') ?? metadataValue(metadata, 'ttl');
  if (value === undefined || value === '') return undefined;
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch {
    throw new TypeError(
      `ttlInSeconds value must be a valid integer or duration: actual is '${value}'`,
    );
  }
  if (!Number.isFinite(ms) || ms < 0)
    throw new TypeError(`ttlInSeconds must not be negative: actual is '${value}'`);
  return ms;
}

/** The envelope attributes a publisher may set through `cloudevent.<attribute>` metadata. */
export interface CloudEventOverrides {
  id?: string;
  source?: string;
  type?: string;
  subject?: string;
  traceid?: string;
  traceparent?: string;
  tracestate?: string;
}

const OVERRIDABLE = [
  'id',
  'source',
  'type',
  'subject',
  'traceid',
  'traceparent',
  'tracestate',
] as const;

export function cloudEventOverrides(
  metadata: Readonly<Record<string, string>> | undefined,
): CloudEventOverrides {
  const overrides: CloudEventOverrides = {};
  for (const attribute of OVERRIDABLE) {
    const value = metadataValue(metadata, `cloudevent.${attribute}`);
    if (value) overrides[attribute] = value;
  }
  return overrides;
}
