import { MechaError } from '@mecha/core';
import type { NameResolver, SidecarAddress, SidecarInstance } from '../../src/index.ts';

/** An in-memory NameResolver: the tests of this package need no name resolution component. */
export class MapResolver implements NameResolver {
  readonly addresses = new Map<string, SidecarAddress>();
  resolved: string[] = [];

  async register(instance: SidecarInstance): Promise<void> {
    this.addresses.set(instance.appId, instance);
  }

  async resolve(appId: string): Promise<SidecarAddress> {
    this.resolved.push(appId);
    const address = this.addresses.get(appId);
    if (!address) throw new MechaError('ERR_DIRECT_INVOKE', 'internal', `couldn't find service: ${appId}`);
    return address;
  }

  async close(): Promise<void> {}
}
