export type {
  Binding,
  BindingFeature,
  BindingRequest,
  BindingResponse,
  InputBinding,
  InputBindingEvent,
  InputBindingHandler,
  OutputBinding,
} from './binding.ts';
export { BindingOperationError } from './binding-operation-error.ts';
export { bindingDirections, bindingsCommonFields, isExplicitlyInput, type BindingDirections } from './binding-direction.ts';
export { BindingsService, type BindingsServiceOptions, type DeliverBindingEvent, type InvokeInput } from './bindings-service.ts';
export {
  BindingsErrorCodes,
  OutputBindingInvokeError,
  inputDeliveryFailed,
  operationMissing,
  operationNotSupported,
  outputBindingFailed,
  outputBindingNotFound,
} from './bindings-errors.ts';
export { defaultRetryOptions, type RetryOptions } from './retry-options.ts';
