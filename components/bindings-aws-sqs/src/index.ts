export { definition } from './definition.ts';
export { SqsBinding, type SqsBindingOptions } from './sqs-binding.ts';
