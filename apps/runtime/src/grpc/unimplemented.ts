import * as grpc from '@grpc/grpc-js';

/** The building block a Dapr gRPC method belongs to, for an UNIMPLEMENTED answer that names it. */
const blocks: [RegExp, string][] = [
  [/Actor/, 'actors'],
  [/Binding/, 'bindings'],
  [/Secret/, 'secrets'],
  [/Configuration/, 'configuration'],
  [/Lock|Unlock/, 'distributed lock'],
  [/Metadata|Shutdown/, 'sidecar'],
  [/crypt|subtle/i, 'cryptography'],
  [/Workflow/, 'workflow'],
  [/Job/, 'jobs'],
  [/Converse/, 'conversation'],
  [/State/, 'state'],
  [/Publish|Subscribe/, 'pub/sub'],
  [/Invoke/, 'service invocation'],
];

export function blockOfMethod(method: string): string {
  return blocks.find(([pattern]) => pattern.test(method))?.[1] ?? 'this';
}

/** A handler answering UNIMPLEMENTED for a method whose building block Mecha does not have yet. */
export function unimplementedHandler(method: string, kind: { requestStream: boolean; responseStream: boolean }): grpc.UntypedHandleCall {
  const error = {
    code: grpc.status.UNIMPLEMENTED,
    details: `${method}: the ${blockOfMethod(method)} building block is not implemented in Mecha yet`,
  };
  if (!kind.responseStream) {
    return ((_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(error)) as grpc.UntypedHandleCall;
  }
  return ((call: grpc.ServerWritableStream<unknown, unknown>) => {
    call.emit('error', error);
  }) as grpc.UntypedHandleCall;
}
