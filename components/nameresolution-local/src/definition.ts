import { defineComponent, defineMetadata } from '@mecha/core';
import type { NameResolver } from '@mecha/invocation';
import { LocalNameResolver } from './local-name-resolver.ts';

export const metadata = defineMetadata({
  registryPath: {
    type: 'string',
    description:
      'Folder shared by every sidecar on the host, one JSON file per running instance. Empty means `$MECHA_HOME/instances` (`MECHA_HOME` defaults to `~/.mecha`).',
    example: '/tmp/mecha/instances',
  },
  cacheTTL: {
    type: 'duration',
    description:
      'How long a found address is reused before the folder is read again, as a duration (`500ms`, `2s`) or a number of seconds. Default `1s`; `0` reads on every lookup. A lookup that finds nothing always reads again.',
    example: '1s',
  },
});

/**
 * `nameresolution.local`: host-local name resolution through a shared folder. The runtime
 * uses it where a Configuration names `mdns`, because multicast cannot work on a
 * loopback-only host.
 */
export const definition = defineComponent<NameResolver, never, typeof metadata>({
  type: 'nameresolution.local',
  version: 'v1',
  block: 'nameresolution',
  description: 'Finds the sidecars of other apps on the same host through a shared registry folder (stands in for mDNS).',
  metadata,
  features: [],
  async create(values, context) {
    return new LocalNameResolver({ registryPath: values.registryPath, cacheTtlMs: values.cacheTTL, logger: context.logger });
  },
});
