import type { Closeable } from '@mecha/core';

/** Where a sidecar can be reached. */
export interface SidecarAddress {
  appId: string;
  host: string;
  httpPort: number;
  grpcPort?: number;
  internalGrpcPort?: number;
}

export interface SidecarInstance extends SidecarAddress {
  pid: number;
  /** Extra facts for `mecha list` (app port, command, started at, run file, ...). */
  labels?: Record<string, string>;
}

/** Finds other apps' sidecars by app id (Dapr's name resolution component). */
export interface NameResolver extends Closeable {
  /** Announces this sidecar so others can reach it; undone by `close()`. */
  register(instance: SidecarInstance): Promise<void>;
  /** Throws a MechaError ERR_DIRECT_INVOKE naming the app id when no live instance is known. */
  resolve(appId: string): Promise<SidecarAddress>;
}
