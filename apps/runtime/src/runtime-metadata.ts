import type { SidecarOptions } from './config/options.ts';

export interface ComponentInfo {
  name: string;
  type: string;
  version: string;
  capabilities: string[];
}

export interface SubscriptionInfo {
  pubsubname: string;
  topic: string;
  metadata?: Record<string, string>;
  rules?: { match?: string; path?: string }[];
  deadLetterTopic: string;
  type: 'DECLARATIVE' | 'PROGRAMMATIC' | 'STREAMING' | 'UNKNOWN';
}

export const RUNTIME_VERSION = '1.16.0-mecha.0.1.0';

/** The sidecar's self-description, served by `GET /v1.0/metadata` in daprd's shape. */
export class RuntimeMetadata {
  readonly #options: SidecarOptions;
  readonly #extended = new Map<string, string>();
  components: ComponentInfo[] = [];
  enabledFeatures: string[] = [];
  httpEndpoints: { name: string }[] = [];
  subscriptions: () => SubscriptionInfo[] = () => [];

  constructor(options: SidecarOptions) {
    this.#options = options;
    this.#extended.set('daprRuntimeVersion', RUNTIME_VERSION);
    // The keys `dapr list` reads, from what the CLI handed over.
    const labels = options.instanceLabels;
    if (labels['cliPid']) this.#extended.set('cliPID', labels['cliPid']);
    if (labels['appCommand']) this.#extended.set('appCommand', labels['appCommand']);
    if (labels['runFile']) this.#extended.set('runTemplatePath', labels['runFile']);
  }

  setExtended(key: string, value: string): void {
    this.#extended.set(key, value);
  }

  extended(): Record<string, string> {
    return Object.fromEntries(this.#extended);
  }

  snapshot(): Record<string, unknown> {
    const o = this.#options;
    return {
      id: o.appId,
      runtimeVersion: RUNTIME_VERSION,
      enabledFeatures: this.enabledFeatures,
      actors: [],
      components: this.components,
      extended: this.extended(),
      subscriptions: this.subscriptions(),
      httpEndpoints: this.httpEndpoints,
      appConnectionProperties: {
        ...(o.appPort ? { port: o.appPort } : {}),
        protocol: o.appProtocol,
        channelAddress: o.appChannelAddress,
        ...(o.appMaxConcurrency > 0 ? { maxConcurrency: o.appMaxConcurrency } : {}),
      },
      actorRuntime: { runtimeStatus: 'DISABLED', hostReady: false },
    };
  }
}
