export { definition } from './definition.ts';
export { RabbitMqBinding, type RabbitMqBindingOptions } from './rabbitmq-binding.ts';
