export { MechaError, isMechaError, errorMessage, type ErrorKind, type ErrorInfo, type MechaErrorOptions } from './errors.ts';
export { ErrorCodes } from './error-codes.ts';
export { createLogger, silentLogger, type Logger, type LoggerOptions, type LogLevel } from './logger.ts';
export { parseDuration } from './duration.ts';
export {
  defineMetadata,
  validateMetadata,
  renderMetadataTable,
  sensitiveFields,
  MetadataValidationError,
  type FieldType,
  type FieldValue,
  type MetadataField,
  type MetadataSchema,
  type MetadataOf,
  type MetadataIssue,
  type ValidateOptions,
} from './metadata-schema.ts';
export {
  defineComponent,
  type BlockKind,
  type Closeable,
  type ComponentContext,
  type ComponentDefinition,
} from './component.ts';
export { ComponentRegistry, type AnyComponentDefinition } from './registry.ts';
export { instantiateComponent, type InstantiateOptions, type LiveComponent } from './instantiate.ts';
export { loadResources, loadConfiguration, addDocument, type LoadResourcesOptions } from './resources/load.ts';
export { ResourceFileError } from './resources/resource-file-error.ts';
export { resolveComponentMetadata, type SecretResolver, type ResolveMetadataOptions } from './resources/resolve-metadata.ts';
export type * from './resources/types.ts';
