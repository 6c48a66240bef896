import type { Logger } from '@mecha/core';
import type { InvocationService } from '@mecha/invocation';
import type { BlockServices } from '../../block-services.ts';
import type { SidecarOptions } from '../../config/options.ts';
import type { Readiness } from '../../readiness.ts';
import type { RuntimeMetadata } from '../../runtime-metadata.ts';

/** What the gRPC API handlers reach: the same block services the HTTP API uses. */
export interface GrpcApiContext {
  options: SidecarOptions;
  services: BlockServices;
  invocation: InvocationService;
  readiness: Readiness;
  metadata: RuntimeMetadata;
  shutdown: (reason: string) => void;
  logger: Logger;
}
