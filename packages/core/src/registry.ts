import type { Closeable, ComponentDefinition } from './component.ts';
import { MechaError } from './errors.ts';

// The registry holds definitions of many blocks side by side; their instance types differ.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyComponentDefinition = ComponentDefinition<any, string, any>;

/**
 * The bundled components a runtime knows, by Dapr type name and version. The runtime
 * builds one at start; an embedded user usually creates components directly instead.
 */
export class ComponentRegistry {
  readonly #definitions = new Map<string, AnyComponentDefinition[]>();

  register(...definitions: AnyComponentDefinition[]): this {
    for (const definition of definitions) {
      const versions = this.#definitions.get(definition.type) ?? [];
      if (versions.some((known) => known.version === definition.version)) {
        throw new Error(`component ${definition.type}/${definition.version} is registered twice`);
      }
      versions.push(definition);
      this.#definitions.set(definition.type, versions);
    }
    return this;
  }

  /** Finds a definition; an empty version means the newest registered, as daprd treats a missing `spec.version` as v1. */
  find(type: string, version = ''): AnyComponentDefinition | undefined {
    const versions = this.#definitions.get(type);
    if (!versions) return undefined;
    if (!version) return versions.find((d) => d.version === 'v1') ?? versions[0];
    return versions.find((d) => d.version === version);
  }

  get(type: string, version = ''): AnyComponentDefinition {
    const found = this.find(type, version);
    if (found) return found;
    const known = this.#definitions.get(type);
    const hint = known
      ? `known versions: ${known.map((d) => d.version).join(', ')}`
      : `known types: ${[...this.#definitions.keys()].sort().join(', ')}`;
    throw new MechaError(
      'ERR_COMPONENT_NOT_FOUND',
      'not-found',
      `couldn't find component ${type}/${version || 'v1'} (${hint})`,
    );
  }

  list(): AnyComponentDefinition[] {
    return [...this.#definitions.values()].flat();
  }
}

export type { Closeable };
