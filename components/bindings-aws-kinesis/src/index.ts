export { definition } from './definition.ts';
export { KinesisBinding, type KinesisBindingOptions } from './kinesis-binding.ts';
