import type { BindingResponse } from './binding.ts';

/**
 * What an output binding rejects with when the operation failed but it still has an answer to
 * report: bindings.http on a non-2xx status gives the status and headers as `metadata` (and the
 * body as `data`). daprd returns that metadata to the app alongside the error, and so does Mecha.
 * Any other rejection is a failure with nothing to report.
 */
export class BindingOperationError extends Error {
  override readonly name = 'BindingOperationError';
  readonly response: BindingResponse;

  constructor(message: string, response: BindingResponse, options?: { cause?: unknown }) {
    super(message, options);
    this.response = response;
  }
}
