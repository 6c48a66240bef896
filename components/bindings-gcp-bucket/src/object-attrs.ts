/** The object resource as the Cloud Storage JSON API (and @google-cloud/storage's `file.metadata`) gives it. */
export interface StorageObjectResource {
  bucket?: string;
  name?: string;
  contentType?: string;
  contentLanguage?: string;
  cacheControl?: string;
  eventBasedHold?: boolean;
  temporaryHold?: boolean;
  retentionExpirationTime?: string;
  owner?: { entity?: string };
  size?: string | number;
  contentEncoding?: string;
  contentDisposition?: string;
  md5Hash?: string;
  crc32c?: string;
  mediaLink?: string;
  metadata?: Record<string, unknown> | null;
  generation?: string | number;
  metageneration?: string | number;
  storageClass?: string;
  timeCreated?: string;
  timeDeleted?: string;
  updated?: string;
  customerEncryption?: { keySha256?: string };
  kmsKeyName?: string;
  etag?: string;
  customTime?: string;
  componentCount?: number;
}

/** Go's zero time, which Dapr's answers carry for a time the object does not have. */
const zeroTime = '0001-01-01T00:00:00Z';

/**
 * One entry of `list` (and `attrs` of `bulkGet`) as Dapr returns it: the Go client's
 * `storage.ObjectAttrs` marshalled to JSON, so Go's field names and zero values. A `delimiter`
 * listing's synthetic directories carry only `Prefix`, as in Go.
 */
export function objectAttrs(resource: StorageObjectResource): Record<string, unknown> {
  const crc = resource.crc32c ? Buffer.from(resource.crc32c, 'base64') : undefined;
  return {
    Bucket: resource.bucket ?? '',
    Name: resource.name ?? '',
    ContentType: resource.contentType ?? '',
    ContentLanguage: resource.contentLanguage ?? '',
    CacheControl: resource.cacheControl ?? '',
    EventBasedHold: resource.eventBasedHold ?? false,
    TemporaryHold: resource.temporaryHold ?? false,
    RetentionExpirationTime: resource.retentionExpirationTime ?? zeroTime,
    Owner: resource.owner?.entity ?? '',
    Size: Number(resource.size ?? 0),
    ContentEncoding: resource.contentEncoding ?? '',
    ContentDisposition: resource.contentDisposition ?? '',
    MD5: resource.md5Hash ?? null,
    CRC32C: crc && crc.length === 4 ? crc.readUInt32BE(0) : 0,
    MediaLink: resource.mediaLink ?? '',
    Metadata: resource.metadata ?? null,
    Generation: Number(resource.generation ?? 0),
    Metageneration: Number(resource.metageneration ?? 0),
    StorageClass: resource.storageClass ?? '',
    Created: resource.timeCreated ?? zeroTime,
    Deleted: resource.timeDeleted ?? zeroTime,
    Updated: resource.updated ?? zeroTime,
    CustomerKeySHA256: resource.customerEncryption?.keySha256 ?? '',
    KMSKeyName: resource.kmsKeyName ?? '',
    Prefix: '',
    Etag: resource.etag ?? '',
    CustomTime: resource.customTime ?? zeroTime,
    ComponentCount: resource.componentCount ?? 0,
  };
}

/** A `delimiter` listing's directory entry: Go's ObjectAttrs with only Prefix set. */
export function prefixAttrs(prefix: string): Record<string, unknown> {
  return { ...objectAttrs({}), Prefix: prefix };
}
