import type { Closeable, ComponentContext } from './component.ts';
import { MechaError, errorMessage } from './errors.ts';
import type { Logger } from './logger.ts';
import { validateMetadata, MetadataValidationError } from './metadata-schema.ts';
import type { AnyComponentDefinition, ComponentRegistry } from './registry.ts';
import { resolveComponentMetadata, type SecretResolver } from './resources/resolve-metadata.ts';
import { ResourceFileError } from './resources/resource-file-error.ts';
import type { ComponentResource } from './resources/types.ts';

export interface InstantiateOptions {
  appId: string;
  namespace?: string;
  logger: Logger;
  resolveSecret?: SecretResolver;
  /** Metadata names every component of a block accepts (for example `keyPrefix`, `actorStateStore`). */
  commonFields?: (block: string) => Iterable<string>;
  /** Used when the resource has no `spec.initTimeout`; daprd's default is 5s. */
  defaultInitTimeoutMs?: number;
}

export interface LiveComponent<T extends Closeable = Closeable> {
  resource: ComponentResource;
  definition: AnyComponentDefinition;
  instance: T;
}

/**
 * Validates a Component resource against its definition and creates it. A bad field is a
 * ResourceFileError naming the file and the field; a backend that fails to start (or takes
 * longer than `initTimeout`) is a MechaError naming the component.
 */
export async function instantiateComponent(
  registry: ComponentRegistry,
  resource: ComponentResource,
  options: InstantiateOptions,
): Promise<LiveComponent> {
  const where = `${resource.source.file} (document ${resource.source.document}, Component "${resource.name}")`;
  const definition = registry.find(resource.type, resource.version);
  if (!definition) {
    const known = registry.find(resource.type);
    throw new ResourceFileError(
      where,
      known
        ? `component type ${resource.type} has no version ${resource.version}`
        : `unknown component type "${resource.type}" (known: ${registry.list().map((d) => d.type).sort().join(', ')})`,
      known ? 'spec.version' : 'spec.type',
    );
  }
  const logger = options.logger.child({ component: resource.name, type: resource.type });
  const raw = await resolveComponentMetadata(resource, options);
  let metadata;
  try {
    metadata = validateMetadata(definition.metadata, raw, {
      passthrough: options.commonFields?.(definition.block) ?? [],
      onUnknownField: (field) =>
        logger.warn({ file: resource.source.file, field }, `metadata field "${field}" is not used by ${resource.type}`),
    });
  } catch (error) {
    if (error instanceof MetadataValidationError) {
      const first = error.issues[0]!;
      const index = resource.metadata.findIndex((item) => item.name === first.field);
      throw new ResourceFileError(
        where,
        `metadata field "${first.field}" ${first.message}`,
        index >= 0 ? `spec.metadata[${index}]` : 'spec.metadata',
      );
    }
    throw error;
  }
  const context: ComponentContext = {
    name: resource.name,
    appId: options.appId,
    namespace: options.namespace,
    logger,
    rawMetadata: raw,
  };
  const timeoutMs = resource.initTimeoutMs ?? options.defaultInitTimeoutMs ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const instance = await Promise.race([
      definition.create(metadata, context),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`initialisation took longer than ${timeoutMs} ms (spec.initTimeout)`)),
          timeoutMs,
        );
      }),
    ]);
    return { resource, definition, instance };
  } catch (error) {
    if (error instanceof MechaError || error instanceof ResourceFileError) throw error;
    throw new MechaError('ERR_COMPONENT_INIT', 'unavailable', `component ${resource.name} (${resource.type}) failed to initialise: ${errorMessage(error)}`, {
      cause: error,
      resource: { type: resource.type, name: resource.name },
    });
  } finally {
    clearTimeout(timer);
  }
}
