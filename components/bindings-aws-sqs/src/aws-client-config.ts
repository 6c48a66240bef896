/** The connection fields every AWS binding shares, as Dapr names them. */
export interface AwsConnectionFields {
  region?: string;
  endpoint?: string;
  accessKey?: string;
  secretKey?: string;
  sessionToken?: string;
  /** Refused: Mecha has no role assumption (IAM Roles Anywhere or STS) for bindings. */
  assumeRoleArn?: string;
  trustAnchorArn?: string;
  /** An `endpoint` without a scheme gets `http://` instead of `https://`. */
  disableSSL?: boolean;
}

/** What the AWS SDK clients take from those fields; anything left out comes from the SDK's own chain (env, profile, instance role). */
export interface AwsClientConfig {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/**
 * Turns the metadata into client settings, refusing what cannot work: half a key pair, an
 * endpoint that is not a URL, role assumption (which would otherwise silently fall back to
 * whatever credentials the machine has).
 */
export function awsClientConfig(fields: AwsConnectionFields): AwsClientConfig {
  for (const field of ['assumeRoleArn', 'trustAnchorArn'] as const) {
    if (fields[field]) throw new Error(`metadata field "${field}" is not supported: give accessKey/secretKey, or leave them out to use the AWS SDK's default credentials (environment, shared config, instance or task role)`);
  }
  const accessKey = fields.accessKey?.trim();
  const secretKey = fields.secretKey?.trim();
  if (Boolean(accessKey) !== Boolean(secretKey)) {
    throw new Error(`metadata field "${accessKey ? 'secretKey' : 'accessKey'}" is required with "${accessKey ? 'accessKey' : 'secretKey'}"`);
  }
  const config: AwsClientConfig = {};
  const region = fields.region?.trim();
  if (region) config.region = region;
  const endpoint = fields.endpoint?.trim();
  if (endpoint) config.endpoint = endpointUrl(endpoint, fields.disableSSL ?? false);
  if (accessKey && secretKey) {
    config.credentials = { accessKeyId: accessKey, secretAccessKey: secretKey, ...(fields.sessionToken ? { sessionToken: fields.sessionToken } : {}) };
  }
  return config;
}

function endpointUrl(endpoint: string, disableSSL: boolean): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `${disableSSL ? 'http' : 'https'}://${endpoint}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new Error(`metadata field "endpoint" is not a URL (got ${JSON.stringify(endpoint)})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`metadata field "endpoint" must be an http:// or https:// URL (got ${JSON.stringify(endpoint)})`);
  return withScheme.replace(/\/+$/, '');
}

/** Names the missing region clearly instead of the SDK's "Region is missing" at the first call. */
export async function requireRegion(resolveRegion: () => Promise<string>, component: string): Promise<string> {
  try {
    const region = await resolveRegion();
    if (region) return region;
  } catch {
    // Reported below.
  }
  throw new Error(`${component}: no AWS region: set metadata field "region" (or AWS_REGION in the environment)`);
}
