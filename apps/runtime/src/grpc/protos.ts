import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

/**
 * Dapr's published protocol definitions, loaded from the `proto/` folder of the pinned
 * `@dapr/dapr` package (never copied into this repository), plus Google's `google.rpc`
 * status and error-detail messages from `google-proto-files` for rich error details.
 */
const require = createRequire(import.meta.url);
export const daprProtoRoot = path.join(path.dirname(require.resolve('@dapr/dapr/package.json')), 'proto');
const googleProtoRoot = path.resolve(require.resolve('google-proto-files/google/rpc/status.proto'), '../../..');

/**
 * How messages look in handlers: field names as in the .proto (snake_case), enums as their
 * names, 64-bit integers as strings, bytes as Buffers, oneofs named, defaults present.
 */
const loaderOptions: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
  includeDirs: [daprProtoRoot, googleProtoRoot],
};

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

let loaded: DaprProtos | undefined;

export function daprProtos(): DaprProtos {
  if (loaded) return loaded;
  const definition = protoLoader.loadSync(
    [
      'dapr/proto/runtime/v1/dapr.proto',
      'dapr/proto/runtime/v1/appcallback.proto',
      'dapr/proto/internals/v1/service_invocation.proto',
    ],
    loaderOptions,
  );
  const objects = grpc.loadPackageDefinition(definition) as unknown as {
    dapr: {
      proto: {
        runtime: { v1: Record<string, grpc.ServiceClientConstructor> };
        internals: { v1: Record<string, grpc.ServiceClientConstructor> };
      };
    };
  };
  const runtime = objects.dapr.proto.runtime.v1;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of [daprProtoRoot, googleProtoRoot]) {
      const candidate = path.join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return target;
  };
  root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto', 'google/protobuf/any.proto'], { keepCase: true });
  loaded = {
    dapr: runtime['Dapr']!,
    appCallback: runtime['AppCallback']!,
    appCallbackHealthCheck: runtime['AppCallbackHealthCheck']!,
    appCallbackAlpha: runtime['AppCallbackAlpha']!,
    serviceInvocation: objects.dapr.proto.internals.v1['ServiceInvocation']!,
    root,
  };
  return loaded;
}
