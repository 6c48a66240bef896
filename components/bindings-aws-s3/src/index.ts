export { definition } from './definition.ts';
export { S3Binding, type S3BindingOptions } from './s3-binding.ts';
