import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/**
 * Dapr's published protocol definitions, loaded from the `proto/` folder of the pinned
 * `@dapr/dapr` package (never copied into this repository), plus Google's `google.rpc`
 * status and error-detail messages from `google-proto-files` for rich error details.
 *
 * The .proto files are parsed with protobufjs once and kept as JSON in the user's Mecha folder
 * (`$MECHA_HOME/cache`), keyed by the versions of every input; grpc-js service definitions are
 * built straight from that root. This is
 * what @grpc/proto-loader does, minus its per-type descriptor generation, and it keeps
 * mechad's start-up about 100 ms shorter.
 */
const require = createRequire(import.meta.url);
const daprPackageJson = require.resolve('@dapr/dapr/package.json');
export const daprProtoRoot = path.join(path.dirname(daprPackageJson), 'proto');
const googleProtoRoot = path.resolve(require.resolve('google-proto-files/google/rpc/status.proto'), '../../..');

const protoFiles = [
  'dapr/proto/runtime/v1/dapr.proto',
  'dapr/proto/runtime/v1/appcallback.proto',
  'dapr/proto/internals/v1/service_invocation.proto',
  'google/rpc/status.proto',
  'google/rpc/error_details.proto',
];

/**
 * How messages look in handlers: field names as in the .proto (snake_case), enums as their
 * names, 64-bit integers as strings, bytes as Buffers, oneofs named, defaults present.
 */
const conversion: protobuf.IConversionOptions = { longs: String, enums: String, bytes: Buffer as never, defaults: true, oneofs: true };

export interface DaprProtos {
  /** `dapr.proto.runtime.v1.Dapr`: the API apps call. */
  dapr: grpc.ServiceClientConstructor;
  /** `dapr.proto.runtime.v1.AppCallback`, `AppCallbackHealthCheck`, `AppCallbackAlpha`: the sidecar calls the app. */
  appCallback: grpc.ServiceClientConstructor;
  appCallbackHealthCheck: grpc.ServiceClientConstructor;
  appCallbackAlpha: grpc.ServiceClientConstructor;
  /** `dapr.proto.internals.v1.ServiceInvocation`: sidecar to sidecar. */
  serviceInvocation: grpc.ServiceClientConstructor;
  /** protobufjs root for encoding `google.protobuf.Any` payloads and `google.rpc.Status` details. */
  root: protobuf.Root;
}

function parseProtoFiles(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of [daprProtoRoot, googleProtoRoot]) {
      const candidate = path.join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return target;
  };
  root.loadSync(protoFiles, { keepCase: true });
  return root;
}

/** The parsed root, from the JSON cache when it matches this `@dapr/dapr` version. */
function loadRoot(): protobuf.Root {
  const versionOf = (packageJson: string) => (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
  // Any change of the proto packages, the parser or the file list makes a new cache entry.
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        versionOf(daprPackageJson),
        versionOf(require.resolve('google-proto-files/package.json')),
        versionOf(require.resolve('protobufjs/package.json')),
        protoFiles,
      ]),
    )
    .digest('hex')
    .slice(0, 16);
  const cacheDir = path.join(process.env['MECHA_HOME'] || path.join(homedir(), '.mecha'), 'cache');
  const cacheFile = path.join(cacheDir, `dapr-protos-${key}.json`);
  try {
    const root = protobuf.Root.fromJSON(JSON.parse(readFileSync(cacheFile, 'utf8')) as protobuf.INamespace);
    root.resolveAll();
    return root;
  } catch {
    // No cache yet, or an unreadable one: parse the .proto files and (try to) keep the result.
  }
  const root = parseProtoFiles();
  root.resolveAll();
  try {
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    const partial = `${cacheFile}.${process.pid}`;
    writeFileSync(partial, JSON.stringify(root.toJSON()), { mode: 0o600 });
    renameSync(partial, cacheFile);
  } catch {
    // A read-only folder only costs the parse on the next start.
  }
  return root;
}

/** A grpc-js service definition whose (de)serialisers convert with protobufjs, as proto-loader's do. */
function serviceDefinition(root: protobuf.Root, serviceName: string): grpc.ServiceDefinition {
  const service = root.lookupService(serviceName);
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const request = method.resolvedRequestType!;
    const response = method.resolvedResponseType!;
    definition[method.name] = {
      path: `/${serviceName}/${method.name}`,
      requestStream: !!method.requestStream,
      responseStream: !!method.responseStream,
      requestSerialize: (value: object) => Buffer.from(request.encode(request.fromObject(value)).finish()),
      requestDeserialize: (bytes: Buffer) => request.toObject(request.decode(bytes), conversion),
      responseSerialize: (value: object) => Buffer.from(response.encode(response.fromObject(value)).finish()),
      responseDeserialize: (bytes: Buffer) => response.toObject(response.decode(bytes), conversion),
      originalName: method.name,
    };
  }
  return definition as grpc.ServiceDefinition;
}

let loaded: DaprProtos | undefined;

export function daprProtos(): DaprProtos {
  if (loaded) return loaded;
  const root = loadRoot();
  const client = (name: string) => grpc.makeGenericClientConstructor(serviceDefinition(root, name), name.split('.').pop()!);
  loaded = {
    dapr: client('dapr.proto.runtime.v1.Dapr'),
    appCallback: client('dapr.proto.runtime.v1.AppCallback'),
    appCallbackHealthCheck: client('dapr.proto.runtime.v1.AppCallbackHealthCheck'),
    appCallbackAlpha: client('dapr.proto.runtime.v1.AppCallbackAlpha'),
    serviceInvocation: client('dapr.proto.internals.v1.ServiceInvocation'),
    root,
  };
  return loaded;
}
