import type { Binding, BindingFeature } from '@mecha/bindings';
import { defineComponent, defineMetadata } from '@mecha/core';

const metadata = defineMetadata({
  streamName: { type: 'string', required: true, description: 'The Kinesis data stream the binding writes to and, as an input binding, reads.', example: 'orders' },
  consumerName: { type: 'string', description: 'Names this reader in logs. (Dapr uses it as the KCL application and lease-table name; no lease table is kept here.)', example: 'orders-service' },
  mode: { type: 'string', default: 'shared', allowed: ['shared', 'extended'], description: '`shared`: read each shard with GetRecords. `extended` (enhanced fan-out) is not supported and is refused at start.' },
  partitionKey: { type: 'string', description: 'Partition key of `create` when the request\'s `partitionKey` metadata names none. Default: a random UUID per record.' },
  region: { type: 'string', description: 'The AWS region. Default: the AWS SDK\'s (AWS_REGION, shared config).', example: 'us-east-1' },
  endpoint: { type: 'string', description: 'A custom endpoint, for Kinesis-compatible servers and emulators.', example: 'http://localhost:4567' },
  accessKey: { type: 'string', description: 'AWS access key id. Leave out (with `secretKey`) to use the AWS SDK\'s default credentials.', example: 'AKIAIOSFODNN7EXAMPLE' },
  secretKey: { type: 'string', sensitive: true, description: 'AWS secret access key.' },
  sessionToken: { type: 'string', sensitive: true, description: 'AWS session token, for temporary credentials.' },
  assumeRoleArn: { type: 'string', description: 'Not supported: refused at start (no role assumption here).' },
  trustAnchorArn: { type: 'string', description: 'Not supported: refused at start (no IAM Roles Anywhere here).' },
});

export const definition = defineComponent<Binding, BindingFeature, typeof metadata>({
  type: 'bindings.aws.kinesis',
  version: 'v1',
  block: 'bindings',
  description: 'One Kinesis data stream as an input binding (every shard polled with GetRecords, in order, checkpointed in memory after the app handled a record) and an output binding (`create` puts a record).',
  metadata,
  features: ['INPUT', 'OUTPUT'],
  async create(values, context) {
    // The AWS SDK loads with the first component of this type, not with the runtime.
    const { KinesisBinding } = await import('./kinesis-binding.ts');
    return KinesisBinding.create({
      streamName: values.streamName,
      mode: values.mode,
      ...(values.consumerName ? { consumerName: values.consumerName } : {}),
      ...(values.partitionKey ? { partitionKey: values.partitionKey } : {}),
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
