import { MechaError, errorMessage } from '@mecha/core';
import type { BindingResponse } from './binding.ts';
import { BindingOperationError } from './binding-operation-error.ts';

/** Dapr's error codes for bindings (and the two Mecha adds for in-process misuse). */
export const BindingsErrorCodes = {
  /** daprd answers every output failure with it: unknown binding, missing or unsupported operation, component error (HTTP 500, gRPC INTERNAL). */
  invokeOutputBinding: 'ERR_INVOKE_OUTPUT_BINDING',
  malformedRequest: 'ERR_MALFORMED_REQUEST',
  /** Mecha's: `start()` on a binding that is not an input binding (daprd simply never reads from it). */
  notInputBinding: 'ERR_INPUT_BINDING_NOT_SUPPORTED',
  /** Mecha's: an input event the app did not take after the block's retries (handed back to the component). */
  inputDelivery: 'ERR_INPUT_BINDING_DELIVERY',
} as const;

/**
 * An output invocation that failed. `response` is what the component returned with its failure
 * (bindings.http's status metadata), so the API can still hand the metadata to the app.
 */
export class OutputBindingInvokeError extends MechaError {
  readonly response: BindingResponse | undefined;

  constructor(binding: string, detail: string, options: { cause?: unknown; response?: BindingResponse } = {}) {
    // daprd's message (`messages.ErrInvokeOutputBinding`); no details on HTTP, as daprd's legacy error.
    super(BindingsErrorCodes.invokeOutputBinding, 'internal', `error invoking output binding ${binding}: ${detail}`, { cause: options.cause });
    this.response = options.response;
  }
}

/** daprd checks the operation before it looks the binding up, so an unknown binding with no operation answers this. */
export function operationMissing(binding: string): OutputBindingInvokeError {
  return new OutputBindingInvokeError(binding, 'operation field is missing from request');
}

/** An unknown name, or a binding that is not an output binding: daprd cannot tell them apart either. */
export function outputBindingNotFound(binding: string): OutputBindingInvokeError {
  return new OutputBindingInvokeError(binding, `couldn't find output binding ${binding}`);
}

export function operationNotSupported(binding: string, operation: string, supported: readonly string[]): OutputBindingInvokeError {
  // Spacing as daprd writes it: no space after the colon, operations separated by spaces.
  return new OutputBindingInvokeError(binding, `binding ${binding} does not support operation ${operation}. supported operations:${supported.join(' ')}`);
}

export function outputBindingFailed(binding: string, cause: unknown): OutputBindingInvokeError {
  const response = cause instanceof BindingOperationError ? cause.response : undefined;
  return new OutputBindingInvokeError(binding, errorMessage(cause), { cause, response });
}

export function notAnInputBinding(binding: string): MechaError {
  return new MechaError(BindingsErrorCodes.notInputBinding, 'failed-precondition', `binding ${binding} is not an input binding (its type or its direction metadata says so)`, {
    resource: { type: 'bindings', name: binding },
  });
}

export function inputDeliveryFailed(binding: string, attempts: number, cause: unknown): MechaError {
  return new MechaError(
    BindingsErrorCodes.inputDelivery,
    'unavailable',
    `the app did not take the event of input binding ${binding} after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${errorMessage(cause)}`,
    { cause, resource: { type: 'bindings', name: binding } },
  );
}

export function inputBindingStopped(binding: string): MechaError {
  return new MechaError(BindingsErrorCodes.inputDelivery, 'unavailable', `input binding ${binding} is not delivering events (stopped)`, {
    resource: { type: 'bindings', name: binding },
  });
}
