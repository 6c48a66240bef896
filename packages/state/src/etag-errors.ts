/**
 * What a component throws when an ETag check fails. The block turns these into Dapr's
 * errors (a mismatch is a conflict, an unparsable ETag a bad request), so components never
 * build protocol errors themselves. Messages follow Dapr's wording so callers see the same text.
 */
export class EtagMismatchError extends Error {
  override readonly name = 'EtagMismatchError';
  constructor(detail?: string, options?: { cause?: unknown }) {
    super(detail ? `possible etag mismatch. error from state store: ${detail}` : 'possible etag mismatch', options);
  }
}

export class EtagInvalidError extends Error {
  override readonly name = 'EtagInvalidError';
  constructor(detail?: string, options?: { cause?: unknown }) {
    super(detail ? `invalid etag value: ${detail}` : 'invalid etag value', options);
  }
}
