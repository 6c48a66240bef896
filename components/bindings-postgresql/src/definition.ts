import { defineComponent } from '@mecha/core';
import type { Binding, BindingFeature } from '@mecha/bindings';
import { postgresMetadata } from './postgres-metadata.ts';

const queryExecModes = ['cache_statement', 'cache_describe', 'describe_exec', 'exec', 'simple_protocol'];

export const definition = defineComponent<Binding, BindingFeature, typeof postgresMetadata>({
  type: 'bindings.postgresql',
  version: 'v1',
  block: 'bindings',
  description: 'SQL on PostgreSQL as an output binding: exec (rows affected), query (rows as JSON arrays), close.',
  metadata: postgresMetadata,
  features: ['OUTPUT'],
  async create(metadata, context) {
    for (const field of ['useAzureAD', 'useAWSIAM'] as const) {
      if (metadata[field]) throw new Error(`metadata field '${field}': cloud identity authentication is not supported by Mecha's bindings.postgresql; put the credentials in 'connectionString' or 'password'`);
    }
    if (metadata.queryExecMode !== undefined && metadata.queryExecMode !== '' && !queryExecModes.includes(metadata.queryExecMode)) {
      throw new Error(`metadata field 'queryExecMode': '${metadata.queryExecMode}' is not one of ${queryExecModes.join(', ')}`);
    }
    const timeoutMs = metadata.timeout ?? metadata.timeoutInSeconds ?? 20_000;
    if (timeoutMs < 1000) throw new Error(`metadata field '${metadata.timeout !== undefined ? 'timeout' : 'timeoutInSeconds'}': must be at least 1s`);
    if (!Number.isInteger(metadata.maxConns)) throw new Error(`metadata field 'maxConns': must be a whole number (got ${metadata.maxConns})`);
    if (metadata.connectionMaxIdleTime !== undefined && metadata.connectionMaxIdleTime <= 0) throw new Error("metadata field 'connectionMaxIdleTime': must be greater than zero");
    // The client library loads with the first component of this type, not with the runtime.
    const { PostgresBinding } = await import('./postgres-binding.ts');
    return PostgresBinding.open({
      connectionString: metadata.connectionString || metadata.url,
      host: metadata.host,
      hostaddr: metadata.hostaddr,
      port: metadata.port,
      database: metadata.database,
      user: metadata.user,
      password: metadata.password,
      sslRootCert: metadata.sslRootCert,
      timeoutMs,
      maxConns: metadata.maxConns,
      connectionMaxIdleTimeMs: metadata.connectionMaxIdleTime,
      logger: context.logger,
    });
  },
});
