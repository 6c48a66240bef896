import { MechaError, MetadataValidationError, ResourceFileError, type ComponentResource } from '@mecha/core';

/**
 * A component that refused its metadata while starting (a cron `schedule` that does not parse,
 * a bad certificate) throws MetadataValidationError from its factory; core reports that as a
 * failed initialisation naming only the component. This names the file, document and field
 * too, like a metadata error core finds itself. Other errors pass through unchanged.
 */
export function componentLoadError(error: unknown, resource: ComponentResource): unknown {
  const cause = error instanceof MechaError ? error.cause : error;
  if (!(cause instanceof MetadataValidationError)) return error;
  const first = cause.issues[0];
  if (!first) return error;
  const index = resource.metadata.findIndex((item) => item.name === first.field);
  return new ResourceFileError(
    `${resource.source.file} (document ${resource.source.document}, Component "${resource.name}")`,
    `metadata field "${first.field}": ${first.message}`,
    index >= 0 ? `spec.metadata[${index}]` : 'spec.metadata',
  );
}
