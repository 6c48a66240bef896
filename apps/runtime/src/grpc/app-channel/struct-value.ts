/**
 * JSON values as `google.protobuf.Struct`/`Value` in the loaders' object form, for the
 * `extensions` of a TopicEventRequest. protobufjs ships its own definition of these
 * well-known types with camelCase field names, whatever `keepCase` says for Dapr's messages.
 */
export interface StructMessage {
  fields: Record<string, ValueMessage>;
}

export type ValueMessage =
  | { nullValue: 'NULL_VALUE' }
  | { numberValue: number }
  | { stringValue: string }
  | { boolValue: boolean }
  | { structValue: StructMessage }
  | { listValue: { values: ValueMessage[] } };

export function toStruct(record: Readonly<Record<string, unknown>>): StructMessage {
  const fields: Record<string, ValueMessage> = {};
  for (const [key, value] of Object.entries(record)) {
    // Absent is not null: a field that is undefined is simply not there (as in JSON).
    if (value !== undefined) fields[key] = toValue(value);
  }
  return { fields };
}

export function toValue(value: unknown): ValueMessage {
  if (value === null || value === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'bigint') return { numberValue: Number(value) };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map((item) => toValue(item)) } };
  if (value instanceof Date) return { stringValue: value.toISOString() };
  if (typeof value === 'object') return { structValue: toStruct(value as Record<string, unknown>) };
  return { stringValue: String(value) };
}
