import type { Logger } from './logger.ts';
import type { MetadataOf, MetadataSchema } from './metadata-schema.ts';

/** The building block a component implements; the first segment of its Dapr type name. */
export type BlockKind =
  | 'state'
  | 'pubsub'
  | 'bindings'
  | 'secretstores'
  | 'configuration'
  | 'lock'
  | 'nameresolution'
  | 'middleware'
  | 'crypto'
  | 'workflow';

/** What every live component can do, whatever its block. */
export interface Closeable {
  /** Releases connections and timers. Called once, on shutdown or when the component is replaced. */
  close(): Promise<void>;
}

/** What a factory receives besides its validated metadata. */
export interface ComponentContext {
  /** The component's name from its resource file (`metadata.name`). */
  name: string;
  appId: string;
  namespace?: string;
  logger: Logger;
  /** The raw metadata as the resource file gave it, for fields a block passes through. */
  rawMetadata: Readonly<Record<string, string>>;
}

/**
 * One backend, described once: Dapr's type name and version (so Dapr component YAML works
 * unchanged), its metadata schema, the features it can honour, and a factory.
 *
 * `TInstance` is the block's contract (for example `StateStore`); `TFeature` the block's
 * feature names.
 */
export interface ComponentDefinition<
  TInstance extends Closeable = Closeable,
  TFeature extends string = string,
  S extends MetadataSchema = MetadataSchema,
> {
  /** Dapr's type name, for example `state.redis`. */
  readonly type: string;
  /** Dapr's component version, for example `v1`. */
  readonly version: string;
  readonly block: BlockKind;
  /** One line for docs and `mecha components`. */
  readonly description: string;
  readonly metadata: S;
  /** What the component can honour; anything else is refused by the block, never faked. */
  readonly features: readonly TFeature[];
  create(metadata: MetadataOf<S>, context: ComponentContext): Promise<TInstance>;
}

/** Keeps literal types when declaring a component definition. */
export function defineComponent<
  TInstance extends Closeable,
  TFeature extends string,
  const S extends MetadataSchema,
>(definition: ComponentDefinition<TInstance, TFeature, S>): ComponentDefinition<TInstance, TFeature, S> {
  return definition;
}
