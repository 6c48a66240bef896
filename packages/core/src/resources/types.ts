/**
 * Dapr resource documents as Mecha keeps them after loading. Field names follow Dapr's
 * CRDs so a reader can map them one to one.
 */
export interface ResourceSource {
  /** Absolute path of the file the document came from. */
  file: string;
  /** 1-based position of the document in a multi-document file. */
  document: number;
}

export interface SecretKeyRef {
  name: string;
  key?: string;
}

export interface MetadataItem {
  name: string;
  /** Scalars are kept as written; objects/arrays as JSON text (Dapr's DynamicValue). */
  value?: string;
  secretKeyRef?: SecretKeyRef;
}

export interface ComponentResource {
  kind: 'Component';
  name: string;
  namespace?: string;
  type: string;
  version: string;
  metadata: MetadataItem[];
  initTimeoutMs?: number;
  ignoreErrors: boolean;
  secretStore?: string;
  scopes: string[];
  source: ResourceSource;
}

export interface SubscriptionRoutes {
  rules: { match: string; path: string }[];
  default?: string;
}

export interface SubscriptionResource {
  kind: 'Subscription';
  apiVersion: 'dapr.io/v1alpha1' | 'dapr.io/v2alpha1';
  name: string;
  pubsubName: string;
  topic: string;
  routes: SubscriptionRoutes;
  deadLetterTopic?: string;
  metadata: Record<string, string>;
  bulkSubscribe?: { enabled: boolean; maxMessagesCount?: number; maxAwaitDurationMs?: number };
  scopes: string[];
  source: ResourceSource;
}

export interface SecretScope {
  storeName: string;
  defaultAccess?: 'allow' | 'deny';
  allowedSecrets?: string[];
  deniedSecrets?: string[];
}

export interface ConfigurationSpec {
  features?: { name: string; enabled: boolean }[];
  nameResolution?: { component: string; version?: string; configuration?: unknown };
  secrets?: { scopes?: SecretScope[] };
  tracing?: Record<string, unknown>;
  metric?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  accessControl?: Record<string, unknown>;
  appHttpPipeline?: Record<string, unknown>;
  httpPipeline?: Record<string, unknown>;
  api?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ConfigurationResource {
  kind: 'Configuration';
  name: string;
  spec: ConfigurationSpec;
  source: ResourceSource;
}

/** Kept as written for the resiliency issue; parsed so a broken file fails at start. */
export interface ResiliencyResource {
  kind: 'Resiliency';
  name: string;
  spec: {
    policies?: { timeouts?: Record<string, string>; retries?: Record<string, unknown>; circuitBreakers?: Record<string, unknown> };
    targets?: { apps?: Record<string, unknown>; actors?: Record<string, unknown>; components?: Record<string, unknown> };
  };
  scopes: string[];
  source: ResourceSource;
}

export interface HTTPEndpointResource {
  kind: 'HTTPEndpoint';
  name: string;
  baseUrl: string;
  headers: MetadataItem[];
  scopes: string[];
  source: ResourceSource;
}

export type Resource =
  | ComponentResource
  | SubscriptionResource
  | ConfigurationResource
  | ResiliencyResource
  | HTTPEndpointResource;

export interface LoadedResources {
  components: ComponentResource[];
  subscriptions: SubscriptionResource[];
  configurations: ConfigurationResource[];
  resiliencies: ResiliencyResource[];
  httpEndpoints: HTTPEndpointResource[];
}
