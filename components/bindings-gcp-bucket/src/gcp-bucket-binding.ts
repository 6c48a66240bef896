import { randomUUID } from 'node:crypto';
import type { File, Storage } from '@google-cloud/storage';
import type { Binding, BindingRequest, BindingResponse } from '@mecha/bindings';
import { errorMessage, parseDuration } from '@mecha/core';
import { decodeBase64Content, encodeBase64Content } from './base64-content.ts';
import { objectAttrs, prefixAttrs, type StorageObjectResource } from './object-attrs.ts';
import { objectUrl } from './object-url.ts';
import { requestFlag } from './request-flag.ts';
import { createStorage, type StorageConnection } from './storage-client.ts';

export interface GcpBucketBindingOptions extends StorageConnection {
  bucket: string;
  /** Default for `create`: the data is base64 and is stored decoded. */
  decodeBase64?: boolean;
  /** Default for `get`/`bulkGet`: the object is returned base64-encoded. */
  encodeBase64?: boolean;
  /** Default content type of created objects. */
  contentType?: string;
  /** Default lifetime of signed URLs, in ms. */
  signTtlMs?: number;
}

const operations = ['create', 'get', 'delete', 'list', 'sign', 'bulkGet', 'copy', 'rename', 'move'] as const;
/** V4 signed URLs are valid for at most 7 days. */
const maxSignMs = 7 * 24 * 3_600_000;
/** bulkGet downloads this many objects at a time. */
const bulkGetConcurrency = 10;

const empty = (): BindingResponse => ({ data: new Uint8Array(0), metadata: {} });
const json = (value: unknown): BindingResponse => ({ data: Buffer.from(JSON.stringify(value)), metadata: {} });
const textAnswer = (value: string): BindingResponse => ({ data: Buffer.from(value), metadata: {} });

function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === 404;
}

/**
 * `bindings.gcp.bucket`: objects of one Cloud Storage bucket through @google-cloud/storage,
 * with Dapr's operations, request metadata and answers (Go field names in `list`, the plain
 * text answers of `copy`, `move` and `rename`).
 */
export class GcpBucketBinding implements Binding {
  readonly operations = operations;
  readonly #storage: Storage;
  readonly #options: GcpBucketBindingOptions;

  private constructor(storage: Storage, options: GcpBucketBindingOptions) {
    this.#storage = storage;
    this.#options = options;
  }

  /** Builds the client; touches no bucket (as daprd, which reports failures per call). */
  static async create(options: GcpBucketBindingOptions): Promise<GcpBucketBinding> {
    if (!options.bucket?.trim()) throw new Error('metadata field "bucket" is required');
    if (!options.projectId?.trim()) throw new Error('metadata field "projectID" (or "project_id") is required');
    return new GcpBucketBinding(createStorage(options), { ...options, bucket: options.bucket.trim() });
  }

  async invoke(request: BindingRequest): Promise<BindingResponse> {
    // Dapr's older name for `key`.
    const metadata = { ...request.metadata };
    if (metadata['name']) {
      metadata['key'] = metadata['name'];
      delete metadata['name'];
    }
    const normalized = { ...request, metadata };
    switch (request.operation) {
      case 'create':
        return this.#create(normalized);
      case 'get':
        return this.#get(normalized);
      case 'delete':
        return this.#delete(normalized);
      case 'list':
        return this.#list(normalized);
      case 'sign':
        return this.#sign(normalized);
      case 'bulkGet':
        return this.#bulkGet(normalized);
      case 'copy':
        return this.#copy(normalized, false);
      case 'move':
        return this.#copy(normalized, true);
      case 'rename':
        return this.#rename(normalized);
      default:
        throw new Error(`unsupported operation ${request.operation}`);
    }
  }

  async close(): Promise<void> {
    // The client keeps no connections that need closing (HTTP keep-alive sockets time out).
  }

  #file(name: string, bucket = this.#options.bucket): File {
    return this.#storage.bucket(bucket).file(name);
  }

  #requireKey(metadata: Record<string, string>): string {
    const key = metadata['key'];
    if (!key) throw new Error("gcp bucket binding error: can't read key value");
    return key;
  }

  async #create(request: BindingRequest): Promise<BindingResponse> {
    const { metadata } = request;
    const name = metadata['key'] || randomUUID();
    const decode = requestFlag(metadata, 'decodeBase64', this.#options.decodeBase64 ?? false);
    const body = Buffer.from(decode ? decodeBase64Content(request.data, 'gcp bucket binding error: data') : request.data);
    const contentType = metadata['contentType'] || this.#options.contentType;
    try {
      // One multipart request: the payload is already in memory, so a resumable session (several
      // round trips) would gain nothing; the client retries the request on transient failures.
      await this.#file(name).save(body, { resumable: false, ...(contentType ? { contentType } : {}) });
    } catch (error) {
      throw new Error(`gcp bucket binding error while uploading: ${errorMessage(error)}`, { cause: error });
    }
    return json({ objectURL: objectUrl(this.#options.bucket, name) });
  }

  async #download(name: string, encode: boolean): Promise<Buffer> {
    let bytes: Buffer;
    try {
      [bytes] = await this.#file(name).download();
    } catch (error) {
      if (isNotFound(error)) throw new Error('object not found', { cause: error });
      throw new Error(`gcp bucket binding error while downloading object: ${errorMessage(error)}`, { cause: error });
    }
    return encode ? Buffer.from(encodeBase64Content(bytes)) : bytes;
  }

  async #get(request: BindingRequest): Promise<BindingResponse> {
    const key = this.#requireKey(request.metadata);
    const bytes = await this.#download(key, requestFlag(request.metadata, 'encodeBase64', this.#options.encodeBase64 ?? false));
    return { data: bytes, metadata: {} };
  }

  async #delete(request: BindingRequest): Promise<BindingResponse> {
    const key = this.#requireKey(request.metadata);
    try {
      await this.#file(key).delete();
    } catch (error) {
      if (isNotFound(error)) throw new Error('object not found', { cause: error });
      throw new Error(`gcp bucket binding error while deleting object: ${errorMessage(error)}`, { cause: error });
    }
    return empty();
  }

  async #list(request: BindingRequest): Promise<BindingResponse> {
    const payload = parsePayload(request.data, 'list', true);
    const prefix = optionalString(payload, 'prefix', 'list');
    const delimiter = optionalString(payload, 'delimiter', 'list');
    const max = payload['maxResults'];
    if (max !== undefined && max !== null && (typeof max !== 'number' || !Number.isInteger(max) || max < 0)) {
      throw new Error('gcp bucket binding error: maxResults must be a whole number of at least 0');
    }
    const limit = typeof max === 'number' && max > 0 ? max : 1000;
    const entries: Record<string, unknown>[] = [];
    let pageToken: string | undefined;
    try {
      // Page by page, objects then the page's prefixes (as Go's iterator yields them), up to the limit.
      do {
        const [files, , raw] = await this.#storage.bucket(this.#options.bucket).getFiles({
          autoPaginate: false,
          maxResults: limit - entries.length,
          ...(prefix ? { prefix } : {}),
          ...(delimiter ? { delimiter } : {}),
          ...(pageToken ? { pageToken } : {}),
        });
        const page = raw as { nextPageToken?: string; prefixes?: string[] } | undefined;
        for (const file of files) entries.push(objectAttrs(file.metadata as StorageObjectResource));
        for (const dir of page?.prefixes ?? []) entries.push(prefixAttrs(dir));
        pageToken = page?.nextPageToken;
      } while (pageToken && entries.length < limit);
    } catch (error) {
      throw new Error(`gcp bucket binding error while listing: ${errorMessage(error)}`, { cause: error });
    }
    return json(entries.slice(0, limit));
  }

  async #sign(request: BindingRequest): Promise<BindingResponse> {
    const key = this.#requireKey(request.metadata);
    let ttlMs = this.#options.signTtlMs;
    const text = request.metadata['signTTL'];
    if (text !== undefined && text.trim() !== '') {
      try {
        ttlMs = parseDuration(text);
      } catch {
        throw new Error(`gcp bucket binding error while parsing signTTL: invalid duration ${JSON.stringify(text)}`);
      }
    }
    if (ttlMs === undefined) throw new Error("gcp bucket binding error: required metadata 'signTTL' missing");
    if (!(ttlMs >= 1000 && ttlMs <= maxSignMs)) throw new Error('gcp bucket binding error: signTTL must be from 1s to 168h');
    try {
      const [url] = await this.#file(key).getSignedUrl({ version: 'v4', action: 'read', expires: Date.now() + ttlMs });
      return json({ signURL: url });
    } catch (error) {
      throw new Error(`gcp bucket binding error: Bucket(${JSON.stringify(this.#options.bucket)}).SignedURL: ${errorMessage(error)}`, { cause: error });
    }
  }

  async #bulkGet(request: BindingRequest): Promise<BindingResponse> {
    const encode = requestFlag(request.metadata, 'encodeBase64', this.#options.encodeBase64 ?? false);
    let files: File[];
    try {
      [files] = await this.#storage.bucket(this.#options.bucket).getFiles();
    } catch (error) {
      throw new Error(`gcp bucket binding error while listing: ${errorMessage(error)}`, { cause: error });
    }
    const results = new Array<Record<string, unknown>>(files.length);
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const index = next++;
        const file = files[index]!;
        try {
          const bytes = await this.#download(file.name, encode);
          // Go marshals the []byte data as base64, so the answer's data is always base64 text.
          results[index] = { name: file.name, data: bytes.toString('base64'), attrs: objectAttrs(file.metadata as StorageObjectResource) };
        } catch (error) {
          failures.push(`${file.name}: ${errorMessage(error)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(bulkGetConcurrency, files.length) }, worker));
    if (failures.length > 0) throw new Error(`gcp bucket binding error while reading objects: ${failures.join('; ')}`);
    return json(results);
  }

  async #copy(request: BindingRequest, move: boolean): Promise<BindingResponse> {
    const operation = move ? 'move' : 'copy';
    const key = this.#requireKey(request.metadata);
    const payload = parsePayload(request.data, operation, false);
    const givenBucket = optionalString(payload, 'destinationBucket', operation);
    const givenKey = optionalString(payload, 'destinationKey', operation);
    if (!givenBucket && !givenKey) {
      throw new Error(
        `gcp bucket binding error: ${operation} requires at least one of destinationBucket or destinationKey (omitting both resolves the destination to the source object, which rewrites it for copy and deletes it for move)`,
      );
    }
    const bucket = givenBucket || this.#options.bucket;
    const destination = givenKey || key;
    if (move && bucket === this.#options.bucket && destination === key) {
      throw new Error(`gcp bucket binding error: move destination ${bucket}/${destination} is the same as the source — move would delete the source object`);
    }
    await this.#copyObject(key, bucket, destination);
    if (move) await this.#deleteSource(key);
    return textAnswer(`object ${key} ${move ? 'moved' : 'copied'} to ${bucket}/${destination}`);
  }

  async #rename(request: BindingRequest): Promise<BindingResponse> {
    const key = this.#requireKey(request.metadata);
    let payload: Record<string, unknown>;
    try {
      payload = parsePayload(request.data, 'rename', false);
    } catch {
      throw new Error('gcp bucket binding error: invalid rename payload');
    }
    const newName = payload['newName'];
    if (typeof newName !== 'string' || newName === '') throw new Error("gcp bucket binding error: required 'newName' missing");
    await this.#copyObject(key, this.#options.bucket, newName);
    await this.#deleteSource(key);
    return textAnswer(`object ${key} renamed to ${newName}`);
  }

  async #copyObject(key: string, bucket: string, destination: string): Promise<void> {
    try {
      await this.#file(key).copy(this.#file(destination, bucket));
    } catch (error) {
      throw new Error(`gcp bucket binding error while copying object: ${errorMessage(error)}`, { cause: error });
    }
  }

  async #deleteSource(key: string): Promise<void> {
    try {
      await this.#file(key).delete();
    } catch (error) {
      throw new Error(`gcp bucket binding error while deleting object: ${errorMessage(error)}`, { cause: error });
    }
  }
}

/** The request data as a JSON object; `list` also takes no data at all. */
function parsePayload(data: Uint8Array, operation: string, emptyIsObject: boolean): Record<string, unknown> {
  const text = Buffer.from(data).toString('utf8').trim();
  if (text === '' && emptyIsObject) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`gcp bucket binding error: invalid ${operation} payload: ${errorMessage(error)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`gcp bucket binding error: invalid ${operation} payload: expected a JSON object`);
  return value as Record<string, unknown>;
}

function optionalString(payload: Record<string, unknown>, field: string, operation: string): string | undefined {
  const value = payload[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`gcp bucket binding error: invalid ${operation} payload: ${field} must be a string`);
  return value;
}
