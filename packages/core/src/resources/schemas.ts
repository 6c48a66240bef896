import { z } from 'zod';

/**
 * Zod schemas for the Dapr resource kinds. Spec objects of the kinds Mecha acts on are
 * strict, so a misspelt field fails at start naming the field instead of being ignored.
 */
const scalar = z.union([z.string(), z.number(), z.boolean()]);

const dynamicValue = z
  .union([scalar, z.array(z.unknown()), z.record(z.string(), z.unknown()), z.null()])
  .transform((value) => {
    if (value === null) return '';
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  });

export const objectMeta = z.looseObject({
  name: z.string().min(1, 'is required'),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

export const metadataItem = z.strictObject({
  name: z.string().min(1, 'is required'),
  value: dynamicValue.optional(),
  secretKeyRef: z.strictObject({ name: z.string().min(1, 'is required'), key: z.string().optional() }).optional(),
});

const scopes = z.array(z.string()).optional().default([]);

export const componentDocument = z.strictObject({
  apiVersion: z.literal('dapr.io/v1alpha1'),
  kind: z.literal('Component'),
  metadata: objectMeta,
  spec: z.strictObject({
    type: z.string().regex(/^[a-z0-9-]+\.[a-z0-9.\-_]+$/i, 'must look like <block>.<name>, for example state.redis'),
    version: z.string().optional().default('v1'),
    metadata: z.array(metadataItem).optional().default([]),
    initTimeout: z.string().optional(),
    ignoreErrors: z.boolean().optional().default(false),
  }),
  auth: z.strictObject({ secretStore: z.string().min(1) }).optional(),
  scopes,
});

const routeRule = z.strictObject({ match: z.string(), path: z.string().min(1, 'is required') });

const subscriptionCommon = {
  pubsubname: z.string().min(1, 'is required'),
  topic: z.string().min(1, 'is required'),
  deadLetterTopic: z.string().optional(),
  metadata: z.record(z.string(), scalar.transform(String)).optional().default({}),
  bulkSubscribe: z
    .strictObject({
      enabled: z.boolean(),
      maxMessagesCount: z.number().int().positive().optional(),
      maxAwaitDurationMs: z.number().int().positive().optional(),
    })
    .optional(),
};

export const subscriptionV2Document = z.strictObject({
  apiVersion: z.literal('dapr.io/v2alpha1'),
  kind: z.literal('Subscription'),
  metadata: objectMeta,
  spec: z.strictObject({
    ...subscriptionCommon,
    routes: z.strictObject({ rules: z.array(routeRule).optional().default([]), default: z.string().optional() }),
  }),
  scopes,
});

export const subscriptionV1Document = z.strictObject({
  apiVersion: z.literal('dapr.io/v1alpha1'),
  kind: z.literal('Subscription'),
  metadata: objectMeta,
  spec: z.strictObject({ ...subscriptionCommon, route: z.string().min(1, 'is required') }),
  scopes,
});

export const configurationDocument = z.strictObject({
  apiVersion: z.literal('dapr.io/v1alpha1'),
  kind: z.literal('Configuration'),
  metadata: objectMeta,
  spec: z
    .looseObject({
      features: z.array(z.strictObject({ name: z.string().min(1), enabled: z.boolean() })).optional(),
      nameResolution: z
        .looseObject({ component: z.string().min(1), version: z.string().optional(), configuration: z.unknown().optional() })
        .optional(),
      secrets: z
        .looseObject({
          scopes: z
            .array(
              z.strictObject({
                storeName: z.string().min(1),
                defaultAccess: z.enum(['allow', 'deny']).optional(),
                allowedSecrets: z.array(z.string()).optional(),
                deniedSecrets: z.array(z.string()).optional(),
              }),
            )
            .optional(),
        })
        .optional(),
    })
    .optional()
    .default({}),
});

export const resiliencyDocument = z.strictObject({
  apiVersion: z.literal('dapr.io/v1alpha1'),
  kind: z.literal('Resiliency'),
  metadata: objectMeta,
  spec: z.strictObject({
    policies: z
      .strictObject({
        timeouts: z.record(z.string(), z.string()).optional(),
        retries: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
        circuitBreakers: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
      })
      .optional(),
    targets: z
      .strictObject({
        apps: z.record(z.string(), z.unknown()).optional(),
        actors: z.record(z.string(), z.unknown()).optional(),
        components: z.record(z.string(), z.unknown()).optional(),
      })
      .optional(),
  }),
  scopes,
});

export const httpEndpointDocument = z.strictObject({
  apiVersion: z.literal('dapr.io/v1alpha1'),
  kind: z.literal('HTTPEndpoint'),
  metadata: objectMeta,
  spec: z.looseObject({
    baseUrl: z.string().url(),
    headers: z.array(metadataItem).optional().default([]),
  }),
  scopes,
});
