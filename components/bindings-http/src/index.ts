export { definition } from './definition.ts';
export { HttpBinding, type HttpBindingOptions } from './http-binding.ts';
