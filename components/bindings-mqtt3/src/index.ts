export { definition } from './definition.ts';
export { Mqtt3Binding, type Mqtt3BindingOptions } from './mqtt3-binding.ts';
