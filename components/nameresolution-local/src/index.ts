export { definition } from './definition.ts';
export { LocalNameResolver, type LocalNameResolverOptions } from './local-name-resolver.ts';
export { listInstances } from './list-instances.ts';
export { defaultRegistryPath } from './default-registry-path.ts';
