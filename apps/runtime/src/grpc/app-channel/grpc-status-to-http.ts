import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { daprProtos } from '../protos.ts';

/** A `google.protobuf.Any` as the loaders give it. */
export interface AnyMessage {
  type_url: string;
  value: Uint8Array;
}

/** A gRPC status as an app answered it: code, message, and the rich details of `grpc-status-details-bin`. */
export interface GrpcCallStatus {
  code: grpc.status;
  message: string;
  details: AnyMessage[];
}

/** daprd's HTTP status for each gRPC code (the grpc-gateway table); anything else is 500. */
const httpStatusByCode: Partial<Record<grpc.status, number>> = {
  [grpc.status.OK]: 200,
  [grpc.status.CANCELLED]: 408,
  [grpc.status.UNKNOWN]: 500,
  [grpc.status.INVALID_ARGUMENT]: 400,
  [grpc.status.DEADLINE_EXCEEDED]: 504,
  [grpc.status.NOT_FOUND]: 404,
  [grpc.status.ALREADY_EXISTS]: 409,
  [grpc.status.PERMISSION_DENIED]: 403,
  [grpc.status.UNAUTHENTICATED]: 401,
  [grpc.status.RESOURCE_EXHAUSTED]: 429,
  [grpc.status.FAILED_PRECONDITION]: 400,
  [grpc.status.ABORTED]: 409,
  [grpc.status.OUT_OF_RANGE]: 400,
  [grpc.status.UNIMPLEMENTED]: 501,
  [grpc.status.INTERNAL]: 500,
  [grpc.status.UNAVAILABLE]: 503,
  [grpc.status.DATA_LOSS]: 500,
};

export function httpStatusOfGrpcCode(code: number): number {
  return httpStatusByCode[code as grpc.status] ?? 500;
}

/** The details an app attached to an error status, read from its `grpc-status-details-bin` trailer. */
export function statusDetails(trailers: grpc.Metadata | undefined): AnyMessage[] {
  const raw = trailers?.get('grpc-status-details-bin')[0];
  if (!Buffer.isBuffer(raw)) return [];
  try {
    const type = daprProtos().root.lookupType('google.rpc.Status');
    const status = type.toObject(type.decode(raw), { defaults: false }) as { details?: AnyMessage[] };
    return status.details ?? [];
  } catch {
    return [];
  }
}

/**
 * The body daprd gives an HTTP caller when a gRPC app answered with an error: the status
 * in protobuf's JSON form, `{"code": <gRPC code>, "message": "…", "details": [{"@type": …}]}`.
 */
export function statusJson(status: GrpcCallStatus): Uint8Array {
  const json: Record<string, unknown> = {};
  if (status.code !== 0) json['code'] = status.code;
  if (status.message) json['message'] = status.message;
  if (status.details.length > 0) json['details'] = status.details.map(anyToJson);
  return Buffer.from(JSON.stringify(json));
}

function anyToJson(any: AnyMessage): Record<string, unknown> {
  const typeName = any.type_url.slice(any.type_url.lastIndexOf('/') + 1);
  let type: protobuf.Type | undefined;
  try {
    type = daprProtos().root.lookupType(typeName);
  } catch {
    type = undefined;
  }
  // A type this sidecar does not know is shown undecoded rather than failing the whole answer.
  if (!type) return { '@type': any.type_url, value: Buffer.from(any.value).toString('base64') };
  type.resolveAll();
  return { '@type': any.type_url, ...messageToJson(type, type.decode(any.value) as unknown as Record<string, unknown>) };
}

const int64Types = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

function jsonName(field: protobuf.Field): string {
  return field.name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** protobuf's canonical JSON for the plain messages of google.rpc error details: camelCase names, unset fields left out. */
function messageToJson(type: protobuf.Type, message: Record<string, unknown>): Record<string, unknown> {
  if (type.fullName === '.google.protobuf.Duration') {
    const seconds = Number(message['seconds'] ?? 0);
    const nanos = Number(message['nanos'] ?? 0);
    return { value: `${seconds + nanos / 1e9}s` };
  }
  const json: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const value = message[field.name];
    if (value === undefined || value === null) continue;
    if (field.map) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length > 0) json[jsonName(field)] = Object.fromEntries(entries.map(([k, v]) => [k, scalarOrMessage(field, v)]));
    } else if (field.repeated) {
      const items = value as unknown[];
      if (items.length > 0) json[jsonName(field)] = items.map((item) => scalarOrMessage(field, item));
    } else {
      const converted = scalarOrMessage(field, value);
      if (converted !== '' && converted !== 0 && converted !== false && converted !== '0') json[jsonName(field)] = converted;
    }
  }
  return json;
}

function scalarOrMessage(field: protobuf.Field, value: unknown): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) {
    const inner = messageToJson(resolved, value as Record<string, unknown>);
    return resolved.fullName === '.google.protobuf.Duration' ? inner['value'] : inner;
  }
  if (resolved instanceof protobuf.Enum) return resolved.valuesById[value as number] ?? value;
  if (int64Types.has(field.type)) return String(value);
  if (field.type === 'bytes') return Buffer.from(value as Uint8Array).toString('base64');
  return value;
}
