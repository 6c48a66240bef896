import { defineMetadata } from '@mecha/core';

/**
 * Field names as Dapr's `state.aws.dynamodb` (components-contrib `state/aws/dynamodb/metadata.yaml`),
 * plus two Mecha fields that bound how long a call may wait for an unreachable server.
 */
export const dynamodbMetadata = defineMetadata({
  table: {
    type: 'string',
    required: true,
    description: 'Name of the DynamoDB table. It must exist, with a string partition key named as `partitionKey`.',
    example: 'Contracts',
  },
  region: {
    type: 'string',
    description: "AWS region of the table. Default: the SDK's (`AWS_REGION`, the shared config), else `us-east-1`.",
    example: 'us-east-1',
  },
  endpoint: {
    type: 'string',
    description: 'Custom endpoint, for DynamoDB Local, dynalite or LocalStack. Unnecessary against AWS.',
    example: 'http://localhost:8000',
  },
  accessKey: {
    type: 'string',
    sensitive: true,
    description: "Access key ID. Without it the SDK's default credential chain is used.",
    example: 'AKIAIOSFODNN7EXAMPLE',
  },
  secretKey: {
    type: 'string',
    sensitive: true,
    description: 'Secret access key that goes with `accessKey`.',
  },
  sessionToken: {
    type: 'string',
    sensitive: true,
    description: 'Session token, for temporary credentials.',
  },
  ttlAttributeName: {
    type: 'string',
    description:
      'Attribute holding the expiry time (epoch seconds) of items saved with `ttlInSeconds`; enable DynamoDB TTL on it. Without it, `ttlInSeconds` is refused.',
    example: 'expiresAt',
  },
  partitionKey: {
    type: 'string',
    default: 'key',
    description: "Name of the table's partition key attribute.",
    example: 'ContractID',
  },
  requestTimeout: {
    type: 'duration',
    description: 'Mecha: how long one HTTP request to DynamoDB may take before it is abandoned (and retried). Default `5s`.',
    example: '5s',
  },
  maxAttempts: {
    type: 'number',
    default: 3,
    description: 'Mecha: attempts per call, the first included, before a throttled or failed request is reported.',
    example: '3',
  },
});
