/**
 * Content-type checks as daprd applies them when it builds or reads an envelope. Parameters
 * (`; charset=utf-8`) and case are ignored.
 */
export const CLOUDEVENT_CONTENT_TYPE = 'application/cloudevents+json';
export const JSON_CONTENT_TYPE = 'application/json';
export const TEXT_CONTENT_TYPE = 'text/plain';
export const BINARY_CONTENT_TYPE = 'application/octet-stream';

/** The media type alone, lower-cased: `Application/JSON; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

export function isCloudEventContentType(contentType: string | undefined): boolean {
  return mediaType(contentType) === CLOUDEVENT_CONTENT_TYPE;
}

/** `application/json`, `text/json` and every `+json` suffix type (which includes CloudEvents). */
export function isJsonContentType(contentType: string | undefined): boolean {
  const type = mediaType(contentType);
  return type === JSON_CONTENT_TYPE || type === 'text/json' || type.endsWith('+json');
}

/** Payloads daprd carries base64-encoded in `data_base64` rather than as text in `data`. */
export function isBinaryContentType(contentType: string | undefined): boolean {
  return mediaType(contentType) === BINARY_CONTENT_TYPE;
}

export function isTextContentType(contentType: string | undefined): boolean {
  const type = mediaType(contentType);
  return type.startsWith('text/') || type === 'application/xml';
}
