import { createSecureContext } from 'node:tls';
import type { BindingFeature } from '@mecha/bindings';
import { defineComponent, defineMetadata, MetadataValidationError } from '@mecha/core';
import { parseByteSize } from './byte-size.ts';
import { checkCertificates } from './certificate-check.ts';
import type { HttpBinding } from './http-binding.ts';
import { pemOrFile } from './pem-or-file.ts';

const metadata = defineMetadata({
  url: { type: 'string', required: true, description: 'The base URL of the HTTP endpoint to invoke; a request\'s `path` metadata is appended to it.', example: 'http://myservice:8000/customer' },
  responseTimeout: { type: 'duration', description: 'Cancels a request (and reading its answer) after this long; no limit by default.', example: '10s' },
  maxResponseBodySize: {
    type: 'string',
    default: '100Mi',
    description: 'Most bytes of a response body kept (the rest is cut off), as bytes or a quantity (1k, 10Ki, 100Mi). 0 or less: no limit.',
    example: '10Ki',
  },
  MTLSRootCA: { type: 'string', description: 'CA certificate to trust: PEM text, or the path of a PEM file.', example: '/path/to/ca.pem' },
  MTLSClientCert: { type: 'string', description: 'Client certificate for mutual TLS (with MTLSClientKey): PEM text or a file path.', example: '/path/to/client.pem' },
  MTLSClientKey: { type: 'string', sensitive: true, description: 'Client private key for mutual TLS (with MTLSClientCert): PEM text or a file path.', example: '/path/to/client.key' },
  MTLSRenegotiation: {
    type: 'string',
    allowed: ['RenegotiateNever', 'RenegotiateOnceAsClient', 'RenegotiateFreelyAsClient'],
    description: "TLS renegotiation setting. Accepted for Dapr compatibility; Node's TLS client decides renegotiation itself.",
  },
  securityToken: { type: 'string', sensitive: true, description: 'A token sent on every request in the header named by securityTokenHeader.' },
  securityTokenHeader: { type: 'string', description: 'The header that carries securityToken.', example: 'X-Security-Token' },
  errorIfNot2XX: { type: 'boolean', default: true, description: "Fail the call when the answer's status is not 2xx (a request's errorIfNot2XX metadata overrides it)." },
});

/** Dapr's `bindings.http`: HTTP requests as an output binding. */
export const definition = defineComponent<HttpBinding, BindingFeature, typeof metadata>({
  type: 'bindings.http',
  version: 'v1',
  block: 'bindings',
  description: 'HTTP requests as an output binding: get, post, put, patch, delete, head, options, trace (create = post).',
  metadata,
  features: ['OUTPUT'],
  async create(values) {
    const field = <T>(name: string, read: () => T): T => {
      try {
        return read();
      } catch (error) {
        throw new MetadataValidationError([{ field: name, message: (error as Error).message }]);
      }
    };
    const maxResponseBodyBytes = field('maxResponseBodySize', () => parseByteSize(values.maxResponseBodySize));
    const ca = values.MTLSRootCA ? field('MTLSRootCA', () => pemOrFile('MTLSRootCA', values.MTLSRootCA!)) : undefined;
    const pair = values.MTLSClientCert && values.MTLSClientKey;
    const cert = pair ? field('MTLSClientCert', () => pemOrFile('MTLSClientCert', values.MTLSClientCert!)) : undefined;
    const key = pair ? field('MTLSClientKey', () => pemOrFile('MTLSClientKey', values.MTLSClientKey!)) : undefined;
    // Bad PEM is refused now, naming the field, rather than at the first request.
    if (ca) field('MTLSRootCA', () => checkCertificates('MTLSRootCA', ca));
    if (cert && key) field('MTLSClientCert', () => createSecureContext({ cert, key }));
    // Loaded here, not at the top: mechad imports every definition at start and only some run.
    const { HttpBinding } = await import('./http-binding.ts');
    return field('url', () =>
      new HttpBinding({
        url: values.url,
        ...(values.responseTimeout ? { responseTimeoutMs: values.responseTimeout } : {}),
        maxResponseBodyBytes,
        tls: { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) },
        ...(values.securityToken ? { securityToken: values.securityToken } : {}),
        ...(values.securityTokenHeader ? { securityTokenHeader: values.securityTokenHeader } : {}),
        errorIfNot2XX: values.errorIfNot2XX,
      }),
    );
  },
});
