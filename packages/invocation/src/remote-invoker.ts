import type { InvokeRequest, InvokeResponse } from './app-channel.ts';
import type { SidecarAddress } from './name-resolver.ts';

/**
 * Set on a call one sidecar forwards to another: the caller's app id (and namespace). The
 * receiving sidecar delivers such a call to its own app only and never forwards it again,
 * so a stale or wrong address cannot make sidecars bounce a call between them.
 */
export const FORWARDED_BY_HEADER = 'mecha-forwarded-by';
export const FORWARDED_NAMESPACE_HEADER = 'mecha-forwarded-namespace';

export interface RemoteCall {
  /** Where the target's sidecar was found. */
  address: SidecarAddress;
  /** The id as the caller wrote it (`orders` or `orders.prod`). */
  targetAppId: string;
  /** Headers already cleaned of hop-by-hop and sidecar-only ones. */
  request: InvokeRequest;
  callerAppId: string;
  callerNamespace: string;
}

/**
 * Carries a call from this sidecar to another app's sidecar. HTTP today; Dapr's internal
 * gRPC protocol (`ServiceInvocation.CallLocal`) can implement the same contract.
 */
export interface RemoteInvoker {
  /** Returns the remote answer unchanged, whatever its status; throws MechaError ERR_DIRECT_INVOKE when the sidecar cannot be reached. */
  invoke(call: RemoteCall): Promise<InvokeResponse>;
  close(): Promise<void>;
}
