import type { Binding, BindingFeature } from '@mecha/bindings';
import { defineComponent, defineMetadata } from '@mecha/core';

const metadata = defineMetadata({
  queueName: { type: 'string', required: true, description: 'The queue, by name (`.fifo` for a FIFO queue). The binding sends to it and, as an input binding, reads from it.', example: 'orders' },
  region: { type: 'string', description: 'The AWS region. Default: the AWS SDK\'s (AWS_REGION, shared config).', example: 'us-east-1' },
  endpoint: { type: 'string', description: 'A custom endpoint, for SQS-compatible servers and emulators.', example: 'http://localhost:9324' },
  accessKey: { type: 'string', description: 'AWS access key id. Leave out (with `secretKey`) to use the AWS SDK\'s default credentials.', example: 'AKIAIOSFODNN7EXAMPLE' },
  secretKey: { type: 'string', sensitive: true, description: 'AWS secret access key.' },
  sessionToken: { type: 'string', sensitive: true, description: 'AWS session token, for temporary credentials.' },
  assumeRoleArn: { type: 'string', description: 'Not supported: refused at start (no role assumption here).' },
  trustAnchorArn: { type: 'string', description: 'Not supported: refused at start (no IAM Roles Anywhere here).' },
});

export const definition = defineComponent<Binding, BindingFeature, typeof metadata>({
  type: 'bindings.aws.sqs',
  version: 'v1',
  block: 'bindings',
  description: 'One SQS queue as an input binding (a message is deleted only after the app handled it) and an output binding (`create` sends a message), through the AWS SDK v3.',
  metadata,
  features: ['INPUT', 'OUTPUT'],
  async create(values, context) {
    // The AWS SDK loads with the first component of this type, not with the runtime.
    const { SqsBinding } = await import('./sqs-binding.ts');
    return SqsBinding.create({
      queueName: values.queueName,
      ...(values.region ? { region: values.region } : {}),
      ...(values.endpoint ? { endpoint: values.endpoint } : {}),
      ...(values.accessKey ? { accessKey: values.accessKey } : {}),
      ...(values.secretKey ? { secretKey: values.secretKey } : {}),
      ...(values.sessionToken ? { sessionToken: values.sessionToken } : {}),
      ...(values.assumeRoleArn ? { assumeRoleArn: values.assumeRoleArn } : {}),
      ...(values.trustAnchorArn ? { trustAnchorArn: values.trustAnchorArn } : {}),
      logger: context.logger,
    });
  },
});
