import { unlink } from 'node:fs/promises';
import { silentLogger, type Logger } from '@mecha/core';
import { directInvokeError, type NameResolver, type SidecarAddress, type SidecarInstance } from '@mecha/invocation';
import { defaultRegistryPath } from './default-registry-path.ts';
import { forgetOnExit, removeOnExit } from './exit-cleanup.ts';
import { readInstances, writeInstanceFile } from './instance-file.ts';

export interface LocalNameResolverOptions {
  /** The shared registry folder. Default `$MECHA_HOME/instances` (`~/.mecha/instances`). */
  registryPath?: string;
  /** How long a successful lookup is reused before the folder is read again. Default 1000 ms; 0 reads on every call. */
  cacheTtlMs?: number;
  logger?: Logger;
}

interface CachedLookup {
  instances: SidecarInstance[];
  expiresAt: number;
}

/**
 * Name resolution between sidecars on one host, through a folder they all share: each
 * sidecar writes one file announcing its address, and lookups read the files of the target
 * app, skip (and delete) those whose process is gone, and rotate among the live ones.
 * It does what Dapr's mDNS resolver does on a laptop, without multicast, which a
 * loopback-only or sandboxed host cannot do.
 */
export class LocalNameResolver implements NameResolver {
  readonly registryPath: string;
  readonly #cacheTtlMs: number;
  readonly #logger: Logger;
  readonly #files = new Set<string>();
  readonly #cache = new Map<string, CachedLookup>();
  /** One folder read at a time per app id, shared by concurrent callers. */
  readonly #loading = new Map<string, Promise<CachedLookup>>();
  readonly #turn = new Map<string, number>();
  readonly #reportedInvalid = new Set<string>();

  constructor(options: LocalNameResolverOptions = {}) {
    this.registryPath = options.registryPath || defaultRegistryPath();
    this.#cacheTtlMs = Math.max(0, options.cacheTtlMs ?? 1000);
    this.#logger = options.logger ?? silentLogger();
  }

  async register(instance: SidecarInstance): Promise<void> {
    const file = await writeInstanceFile(this.registryPath, instance);
    this.#files.add(file);
    removeOnExit(file);
    this.#cache.delete(instance.appId);
    this.#logger.debug({ appId: instance.appId, file }, 'registered sidecar instance');
  }

  async resolve(appId: string): Promise<SidecarAddress> {
    let lookup = this.#cache.get(appId);
    // Only hits are cached: a miss reads the folder again at once, so a sidecar that just started is found.
    if (!lookup || lookup.expiresAt <= Date.now()) lookup = await this.#load(appId);
    const { instances } = lookup;
    if (instances.length === 0) {
      throw directInvokeError(`couldn't find service: ${appId}`, { metadata: { appId, registryPath: this.registryPath } });
    }
    const turn = this.#turn.get(appId) ?? 0;
    this.#turn.set(appId, (turn + 1) % instances.length);
    const chosen = instances[turn % instances.length]!;
    const address: SidecarAddress = { appId: chosen.appId, host: chosen.host, httpPort: chosen.httpPort };
    if (chosen.grpcPort !== undefined) address.grpcPort = chosen.grpcPort;
    if (chosen.internalGrpcPort !== undefined) address.internalGrpcPort = chosen.internalGrpcPort;
    return address;
  }

  /** Removes this process's instance files; other sidecars stop finding it. */
  async close(): Promise<void> {
    const files = [...this.#files];
    this.#files.clear();
    this.#cache.clear();
    await Promise.all(
      files.map(async (file) => {
        forgetOnExit(file);
        await unlink(file).catch(() => undefined);
      }),
    );
  }

  #load(appId: string): Promise<CachedLookup> {
    let loading = this.#loading.get(appId);
    if (!loading) {
      loading = readInstances(this.registryPath, appId)
        .then(({ instances, invalid }) => {
          for (const file of invalid) {
            if (this.#reportedInvalid.has(file)) continue;
            this.#reportedInvalid.add(file);
            this.#logger.warn({ file }, 'ignoring a registry file that is not a valid sidecar instance');
          }
          const lookup = { instances, expiresAt: Date.now() + this.#cacheTtlMs };
          if (instances.length > 0) this.#cache.set(appId, lookup);
          else this.#cache.delete(appId);
          return lookup;
        })
        .finally(() => this.#loading.delete(appId));
      this.#loading.set(appId, loading);
    }
    return loading;
  }
}
