import type { Binding, BindingFeature } from '@mecha/bindings';
import { defineComponent, defineMetadata } from '@mecha/core';

const metadata = defineMetadata({
  bucket: { type: 'string', required: true, description: 'The bucket the binding reads and writes.', example: 'my-bucket' },
  region: { type: 'string', description: 'The AWS region. Default: the AWS SDK\'s (AWS_REGION, shared config).', example: 'us-east-1' },
  awsRegion: { type: 'string', description: 'Older name of `region`; `region` wins when both are set.' },
  endpoint: { type: 'string', description: 'A custom endpoint, for S3-compatible servers and emulators. Without a scheme it gets `https://` (`http://` with `disableSSL`).', example: 'http://localhost:4566' },
  accessKey: { type: 'string', description: 'AWS access key id. Leave out (with `secretKey`) to use the AWS SDK\'s default credentials.', example: 'AKIAIOSFODNN7EXAMPLE' },
  secretKey: { type: 'string', sensitive: true, description: 'AWS secret access key.' },
  sessionToken: { type: 'string', sensitive: true, description: 'AWS session token, for temporary credentials.' },
  assumeRoleArn: { type: 'string', description: 'Not supported: refused at start (no role assumption here).' },
  trustAnchorArn: { type: 'string', description: 'Not supported: refused at start (no IAM Roles Anywhere here).' },
  forcePathStyle: { type: 'boolean', default: false, description: 'Address objects as `https://<endpoint>/<bucket>/<key>` instead of `https://<bucket>.<endpoint>/<key>`.' },
  decodeBase64: { type: 'boolean', default: false, description: '`create`/`bulkCreate`: the data is base64 and is stored decoded (binary content). A request\'s `decodeBase64` metadata overrides it.' },
  encodeBase64: { type: 'boolean', default: false, description: '`get`/`bulkGet`: return the object base64-encoded. A request\'s `encodeBase64` metadata overrides it.' },
  disableSSL: { type: 'boolean', default: false, description: 'An `endpoint` without a scheme is reached over `http://`.' },
  insecureSSL: { type: 'boolean', default: false, description: 'Accept any TLS certificate from an https endpoint (self-signed test servers only).' },
  presignTTL: { type: 'duration', description: 'Default lifetime of presigned URLs (`presign`; `create` then also returns one), such as `15m`. A request\'s `presignTTL` overrides it.', example: '15m' },
  storageClass: { type: 'string', description: 'Default storage class of created objects (`STANDARD_IA`, …). A request\'s `storageClass` overrides it.' },
});

export const definition = defineComponent<Binding, BindingFeature, typeof metadata>({
  type: 'bindings.aws.s3',
  version: 'v1',
  block: 'bindings',
  description: 'Objects of one S3 bucket as an output binding: create, get, delete, list, presign and the bulk operations, through the AWS SDK v3.',
  metadata,
  features: ['OUTPUT'],
  async create(values, context) {
    if (values.presignTTL !== undefined && !(values.presignTTL >= 1000 && values.presignTTL <= 7 * 24 * 3_600_000)) {
      throw new Error('metadata field "presignTTL" must be from 1s to 168h');
    }
    // The AWS SDK loads with the first component of this type, not with the runtime.
    const { S3Binding } = await import('./s3-binding.ts');
    const region = values.region || values.awsRegion;
    return S3Binding.create({
      bucket: values.bucket,
      ...(region ? { region } : {}),
      ...(values.endpoint ? { endpoint: values.endpoint } : {}),
      ...(values.accessKey ? { accessKey: values.accessKey } : {}),
      ...(values.secretKey ? { secretKey: values.secretKey } : {}),
      ...(values.sessionToken ? { sessionToken: values.sessionToken } : {}),
      ...(values.assumeRoleArn ? { assumeRoleArn: values.assumeRoleArn } : {}),
      ...(values.trustAnchorArn ? { trustAnchorArn: values.trustAnchorArn } : {}),
      forcePathStyle: values.forcePathStyle,
      decodeBase64: values.decodeBase64,
      encodeBase64: values.encodeBase64,
      disableSSL: values.disableSSL,
      insecureSSL: values.insecureSSL,
      ...(values.presignTTL !== undefined ? { presignTtlMs: values.presignTTL } : {}),
      ...(values.storageClass ? { storageClass: values.storageClass } : {}),
      logger: context.logger,
    });
  },
});
