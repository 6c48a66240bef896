import {
  errorMessage,
  instantiateComponent,
  MechaError,
  loadConfiguration,
  loadResources,
  type ConfigurationResource,
  type LiveComponent,
  type ResiliencyResource,
  type Logger,
  type SecretKeyRef,
} from '@mecha/core';
import { BindingsService, bindingsCommonFields, type Binding, type BindingFeature } from '@mecha/bindings';
import { InvocationService, type NameResolver } from '@mecha/invocation';
import { LocalNameResolver } from '@mecha/nameresolution-local';
import { PubSubService, pubsubCommonFields, type PubSubBroker, type PubSubFeature } from '@mecha/pubsub';
import { LockService, type LockStore } from '@mecha/lock';
import { ConfigurationService, type ConfigurationStore } from '@mecha/configuration';
import { SecretScope, SecretsService, type SecretStore } from '@mecha/secrets';
import { StateService, stateCommonMetadata, type StateFeature, type StateStore } from '@mecha/state';
import type { FastifyInstance } from 'fastify';
import type { AppConnection } from './app/app-connection.ts';
import { startInputBindings } from './app/input-bindings.ts';
import { openAppConnection } from './app/open-app-connection.ts';
import { declarativeSubscriptions, startSubscriptions, type StartedSubscription } from './app/subscriptions.ts';
import { BlockServices } from './block-services.ts';
import { bundledComponents } from './bundled-components.ts';
import { capabilitiesOf } from './capabilities.ts';
import { componentLoadError } from './component-load-error.ts';
import { bindingInboundRetry } from './resiliency/binding-inbound-retry.ts';
import { pubsubInboundRetry } from './resiliency/pubsub-inbound-retry.ts';
import type { SidecarOptions } from './config/options.ts';
import { daprApiHandlers } from './grpc/dapr-api/index.ts';
import { closeSubscriptionStreams } from './grpc/dapr-api/subscribe-stream.ts';
import { daprProtos } from './grpc/protos.ts';
import { GrpcServer } from './grpc/server.ts';
import { GrpcSidecarInvoker } from './grpc/internal/grpc-sidecar-invoker.ts';
import { startInternalGrpcServer, type InternalGrpcServer } from './grpc/internal/internal-server.ts';
import { createHttpApi } from './http/server.ts';
import { ComponentHealth } from './component-health.ts';
import { Readiness } from './readiness.ts';
import { RuntimeMetadata } from './runtime-metadata.ts';

const commonFields = (block: string): string[] => {
  if (block === 'state') return [...stateCommonMetadata];
  if (block === 'pubsub') return [...pubsubCommonFields];
  // The lock block builds keys from keyPrefix, as daprd does; components never see it.
  if (block === 'lock') return ['keyPrefix'];
  // `direction` and `route` are read by the bindings block, whatever the binding type.
  if (block === 'bindings') return [...bindingsCommonFields];
  return [];
};

/**
 * One running sidecar: resources loaded, components started, block services wired to the
 * HTTP API, the app waited for and its subscriptions started. `stop()` drains in order.
 */
export class Sidecar {
  readonly options: SidecarOptions;
  readonly logger: Logger;
  readonly services: BlockServices;
  readonly metadata: RuntimeMetadata;
  readonly readiness = new Readiness(['components', 'app']);
  /** Components whose backend can be probed while the sidecar runs (pub/sub brokers). */
  readonly health = new ComponentHealth();
  /** Resolves when the sidecar has stopped (by signal, API call or `stop()`). */
  readonly stopped: Promise<void>;
  #resolveStopped!: () => void;
  #components: LiveComponent[] = [];
  #resolver?: NameResolver;
  #app?: AppConnection;
  #invocation?: InvocationService;
  #http?: FastifyInstance;
  #grpc?: GrpcServer;
  #internalGrpc?: InternalGrpcServer;
  #subscriptions: StartedSubscription[] = [];
  #inputBindings: BindingsService[] = [];
  #stopping?: Promise<void>;
  #abortAppWait = new AbortController();
  #configuration?: ConfigurationResource;
  #resiliencies: ResiliencyResource[] = [];

  constructor(options: SidecarOptions, logger: Logger) {
    this.options = options;
    this.logger = logger;
    this.services = new BlockServices(options.appId);
    this.metadata = new RuntimeMetadata(options);
    this.stopped = new Promise((resolve) => (this.#resolveStopped = resolve));
  }

  /** Starts everything up to a listening API; the app wait and subscriptions go on in the background. */
  async start(): Promise<void> {
    const { options, logger } = this;
    const resources = await loadResources(options.resourcesPaths, { appId: options.appId, logger });
    if (options.configPath) this.#configuration = await loadConfiguration(options.configPath, { appId: options.appId, logger });
    this.metadata.enabledFeatures = (this.#configuration?.spec.features ?? []).filter((f) => f.enabled).map((f) => f.name);
    this.metadata.httpEndpoints = resources.httpEndpoints.map((e) => ({ name: e.name }));
    this.#resiliencies = resources.resiliencies;

    const registry = bundledComponents();
    // Secret stores first, so the other components' `secretKeyRef`s can be resolved through them.
    const isSecretStore = (type: string) => type.startsWith('secretstores.');
    const ordered = [...resources.components.filter((c) => isSecretStore(c.type)), ...resources.components.filter((c) => !isSecretStore(c.type))];
    for (const resource of ordered) {
      if (this.#components.some((c) => c.resource.name === resource.name)) {
        throw new Error(`${resource.source.file}: a component named "${resource.name}" is defined twice`);
      }
      try {
        const live = await instantiateComponent(registry, resource, {
          appId: options.appId,
          namespace: options.namespace,
          logger,
          commonFields,
          resolveSecret: (store, ref) => this.#resolveSecret(store, ref),
        });
        this.#components.push(live);
        this.#wire(live);
        logger.info({ component: resource.name, type: `${resource.type}/${resource.version}` }, 'component loaded');
      } catch (error) {
        if (!resource.ignoreErrors) throw componentLoadError(error, resource);
        logger.warn({ component: resource.name, error: errorMessage(error) }, 'component failed to load and is ignored (spec.ignoreErrors)');
      }
    }
    this.metadata.components = this.#components.map((c) => ({
      name: c.resource.name,
      type: c.resource.type,
      version: c.resource.version,
      capabilities: capabilitiesOf(c.definition.block, c.definition.features),
    }));

    this.#resolver = this.#createResolver();
    this.#app = openAppConnection(options, logger.child({ scope: 'mechad.app' }));
    const invocation = (this.#invocation = new InvocationService({
      appId: options.appId,
      appChannel: this.#app?.channel,
      resolver: this.#resolver,
      remote: new GrpcSidecarInvoker({ maxMessageBytes: options.maxBodyBytes }),
      logger: logger.child({ scope: 'mechad.invocation' }),
    }));

    const pubsubs = [...this.services.pubsub.values()];
    this.metadata.subscriptions = () =>
      pubsubs.flatMap((p) =>
        p.subscriptions().map((s) => ({
          pubsubname: s.pubsubname,
          topic: s.topic,
          ...(s.metadata && Object.keys(s.metadata).length > 0 ? { metadata: s.metadata } : {}),
          rules: s.rules,
          deadLetterTopic: s.deadLetterTopic ?? '',
          type: s.type,
        })),
      );

    this.#http = createHttpApi({
      options,
      services: this.services,
      invocation,
      readiness: this.readiness,
      health: this.health,
      metadata: this.metadata,
      shutdown: (reason) => void this.stop(reason),
      logger,
    });
    const hosts = options.listenAddresses.length > 0 ? options.listenAddresses : ['127.0.0.1'];
    for (const host of hosts) {
      await this.#http.listen({ port: options.httpPort, host });
    }
    this.#grpc = new GrpcServer({
      service: daprProtos().dapr.service,
      handlers: daprApiHandlers({
        options,
        services: this.services,
        invocation,
        readiness: this.readiness,
        metadata: this.metadata,
        shutdown: (reason) => void this.stop(reason),
        logger,
      }),
      maxMessageBytes: options.maxBodyBytes,
      apiToken: options.apiToken,
      apiLogging: options.enableApiLogging,
      logger: logger.child({ scope: 'mechad.grpc' }),
    });
    await this.#grpc.listen(options.grpcPort, hosts);
    this.#internalGrpc = await startInternalGrpcServer({
      invocation,
      port: options.internalGrpcPort,
      hosts,
      appIsHttp: options.appProtocol !== 'grpc' && options.appProtocol !== 'grpcs', // h2c is HTTP (cleartext HTTP/2), as in daprd
      maxBodyBytes: options.maxBodyBytes,
      logger: logger.child({ scope: 'mechad.grpc.internal' }),
    });
    this.readiness.ready('components');
    await this.#resolver.register({
      appId: options.appId,
      host: '127.0.0.1',
      httpPort: options.httpPort,
      grpcPort: options.grpcPort,
      internalGrpcPort: this.#internalGrpc.port,
      pid: process.pid,
      labels: {
        ...options.instanceLabels,
        ...(options.appPort ? { appPort: String(options.appPort) } : {}),
        startedAt: new Date().toISOString(),
      },
    });
    logger.info({ httpPort: options.httpPort, grpcPort: options.grpcPort, internalGrpcPort: this.#internalGrpc.port, hosts }, 'HTTP and gRPC APIs listening');
    this.#watchParentCli();
    void this.#connectApp(resources.subscriptions);
  }

  /**
   * A `secretKeyRef` in a component file: the secret's `key` (the secret's own name when the
   * reference gives none) from a secret store loaded before. The app's secret scopes do not
   * apply, as in daprd; errors name the store and secret, never a value.
   */
  async #resolveSecret(storeName: string, ref: SecretKeyRef): Promise<string> {
    const store = this.services.secretStore(storeName);
    const secret = await store.read(ref.name);
    const key = ref.key || ref.name;
    const value = secret[key];
    if (value === undefined) {
      throw new MechaError('ERR_SECRET_GET', 'internal', `secret ${ref.name} in secret store ${storeName} has no key ${key}`);
    }
    return value;
  }

  #wire(live: LiveComponent): void {
    const { resource, definition, instance } = live;
    const { options, logger } = this;
    if (definition.block === 'state') {
      this.services.state.set(
        resource.name,
        StateService.fromComponent({
          name: resource.name,
          instance: instance as StateStore,
          features: definition.features as readonly StateFeature[],
          appId: options.appId,
          namespace: options.namespace,
          rawMetadata: Object.fromEntries(resource.metadata.map((m) => [m.name, m.value ?? ''])),
        }),
      );
    } else if (definition.block === 'secretstores') {
      const scope = this.#configuration?.spec.secrets?.scopes?.find((entry) => entry.storeName === resource.name);
      this.services.secrets.set(
        resource.name,
        new SecretsService({ name: resource.name, store: instance as SecretStore, ...(scope ? { scope: new SecretScope(scope) } : {}) }),
      );
    } else if (definition.block === 'lock') {
      const keyPrefix = resource.metadata.find((m) => m.name.toLowerCase() === 'keyprefix')?.value;
      this.services.locks.set(
        resource.name,
        new LockService({ name: resource.name, store: instance as LockStore, appId: options.appId, ...(keyPrefix ? { keyPrefix } : {}) }),
      );
    } else if (definition.block === 'configuration') {
      const store = instance as ConfigurationStore;
      const configurationLogger = logger.child({ scope: 'mechad.configuration', store: resource.name });
      this.services.configuration.set(resource.name, new ConfigurationService({ name: resource.name, store, logger: configurationLogger }));
    } else if (definition.block === 'bindings') {
      const metadataValue = (name: string) => resource.metadata.find((m) => m.name.toLowerCase() === name)?.value;
      this.services.bindings.set(
        resource.name,
        new BindingsService({
          name: resource.name,
          binding: instance as Binding,
          features: definition.features as readonly BindingFeature[],
          direction: metadataValue('direction'),
          route: metadataValue('route'),
          retry: bindingInboundRetry(resource.name, this.#resiliencies),
          logger: logger.child({ scope: 'mechad.bindings', binding: resource.name }),
        }),
      );
    } else if (definition.block === 'pubsub') {
      const pubsub = new PubSubService({
        name: resource.name,
        broker: instance as PubSubBroker,
        features: definition.features as readonly PubSubFeature[],
        appId: options.appId,
        namespace: options.namespace,
        logger: logger.child({ scope: 'mechad.pubsub', pubsub: resource.name }),
        rawMetadata: Object.fromEntries(resource.metadata.map((m) => [m.name, m.value ?? ''])),
        retry: pubsubInboundRetry(resource.name, this.#resiliencies),
      });
      this.services.pubsub.set(resource.name, pubsub);
      this.health.add({ name: resource.name, ping: () => pubsub.ping() });
    } else {
      logger.warn({ component: resource.name, block: definition.block }, 'components of this block are not served by the API yet');
    }
  }

  #createResolver(): NameResolver {
    const chosen = this.#configuration?.spec.nameResolution?.component;
    if (chosen && chosen !== 'mdns' && chosen !== 'local') {
      throw new Error(`Configuration ${this.#configuration!.source.file}: nameResolution.component "${chosen}" is not supported (use mdns or local)`);
    }
    if (chosen === 'mdns') {
      this.logger.info('nameResolution mdns is served by the host-local registry (nameresolution.local): sidecars on this host find each other');
    }
    return new LocalNameResolver({ registryPath: undefined, logger: this.logger.child({ scope: 'mechad.nameresolution' }) });
  }

  async #connectApp(declarative: Parameters<typeof declarativeSubscriptions>[0]): Promise<void> {
    const { options, logger } = this;
    try {
      const app = this.#app;
      if (app) {
        logger.info({ port: options.appPort, protocol: app.protocol }, 'waiting for the app port');
        await app.waitUntilReachable(this.#abortAppWait.signal);
        logger.info({ port: options.appPort }, 'the app is listening');
      }
      const specs = declarativeSubscriptions(declarative);
      if (app && !options.disableInitEndpoints.includes('subscribe')) {
        specs.push(...(await app.subscriptions(this.#abortAppWait.signal)));
      }
      if (this.#stopping) return;
      if (app && specs.length > 0) {
        this.#subscriptions = await startSubscriptions(this.services, specs, app, logger);
      } else if (specs.length > 0) {
        logger.warn({ count: specs.length }, 'subscriptions are declared but there is no app to deliver to (--app-port)');
      }
      // daprd reads input bindings only once the app is ready, and only those the app serves.
      this.#inputBindings = await startInputBindings(
        this.services,
        app,
        logger.child({ scope: 'mechad.bindings' }),
        this.#abortAppWait.signal,
        options.appBindingOptionsTimeoutMs,
      );
      if (this.#stopping) return;
      this.readiness.ready('app');
      logger.info({ appId: options.appId }, 'mechad is ready');
    } catch (error) {
      if (this.#stopping) return;
      logger.error({ error: errorMessage(error) }, 'connecting to the app failed');
    }
  }

  /**
   * Under `mecha run`, the CLI owns this sidecar; if the CLI dies without stopping it (SIGKILL),
   * the sidecar stops itself instead of lingering as an orphan.
   */
  #watchParentCli(): void {
    const cliPid = Number(this.options.instanceLabels['cliPid']);
    if (!Number.isInteger(cliPid) || cliPid <= 0) return;
    const timer = setInterval(() => {
      try {
        process.kill(cliPid, 0);
      } catch {
        clearInterval(timer);
        void this.stop(`the mecha CLI (pid ${cliPid}) that started this sidecar is gone`);
      }
    }, 1000);
    timer.unref();
  }

  /** Drains and closes everything; idempotent. Forced after --dapr-graceful-shutdown-seconds. */
  stop(reason = 'stop requested'): Promise<void> {
    this.#stopping ??= this.#drain(reason);
    return this.#stopping;
  }

  async #drain(reason: string): Promise<void> {
    const { logger } = this;
    logger.info({ reason, gracePeriodMs: this.options.gracefulShutdownMs }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('graceful shutdown took too long: exiting');
      process.exit(1);
    }, this.options.gracefulShutdownMs);
    force.unref();
    const step = async (what: string, fn: () => Promise<unknown> | undefined) => {
      try {
        await fn();
      } catch (error) {
        logger.warn({ error: errorMessage(error) }, `shutdown: ${what} failed`);
      }
    };
    this.#abortAppWait.abort();
    // No new calls from other sidecars, then no new deliveries, then drain the API, then close backends.
    await step('name resolution', () => this.#resolver?.close());
    await step('input bindings', () => Promise.all(this.#inputBindings.map((b) => b.stop())));
    await step('subscriptions', () => Promise.all([...this.#subscriptions.map((s) => s.close()), closeSubscriptionStreams(this.services)]));
    // Configuration subscriptions end before the APIs close: their gRPC streams finish with OK instead of holding the server open.
    await step('configuration subscriptions', () => Promise.all([...this.services.configuration.values()].map((s) => s.unsubscribeAll())));
    await step('HTTP and gRPC APIs', () =>
      Promise.all([
        this.#http?.close(),
        this.#grpc?.close(Math.max(0, this.options.gracefulShutdownMs - 500)),
        this.#internalGrpc?.close(Math.max(0, this.options.gracefulShutdownMs - 500)),
      ]),
    );
    await step('state stores', () => Promise.all([...this.services.state.values()].map((s) => s.close())));
    await step('pub/sub', () => Promise.all([...this.services.pubsub.values()].map((s) => s.close())));
    await step('bindings', () => Promise.all([...this.services.bindings.values()].map((b) => b.close())));
    await step('lock stores', () => Promise.all([...this.services.locks.values()].map((s) => s.close())));
    await step('configuration stores', () => Promise.all([...this.services.configuration.values()].map((s) => s.close())));
    await step('secret stores', () => Promise.all([...this.services.secrets.values()].map((s) => s.close())));
    await step('app channel', () => this.#app?.close());
    await step('invocation', () => this.#invocation?.close());
    clearTimeout(force);
    logger.info('mechad stopped');
    this.#resolveStopped();
  }
}
