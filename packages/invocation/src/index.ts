export type { AppChannel, InvokeRequest, InvokeResponse } from './app-channel.ts';
export type { NameResolver, SidecarAddress, SidecarInstance } from './name-resolver.ts';
export { HttpAppChannel, type HttpAppChannelOptions } from './http-app-channel.ts';
export { waitForTcpPort, type WaitForPortOptions } from './wait-for-tcp-port.ts';
export {
  InvocationService,
  CALLER_APP_ID_HEADER,
  CALLER_NAMESPACE_HEADER,
  CALLEE_APP_ID_HEADER,
  type InvocationServiceOptions,
} from './invocation-service.ts';
export { FORWARDED_BY_HEADER, FORWARDED_NAMESPACE_HEADER, type RemoteCall, type RemoteInvoker } from './remote-invoker.ts';
export { HttpSidecarInvoker, type HttpSidecarInvokerOptions } from './http-sidecar-invoker.ts';
export { DIRECT_INVOKE_ERROR_CODE, directInvokeError } from './direct-invoke-error.ts';
export { withoutHopByHopHeaders } from './hop-by-hop-headers.ts';
export { parseTargetAppId, type TargetAppId } from './target-app-id.ts';
