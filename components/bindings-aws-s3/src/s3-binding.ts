import { randomUUID } from 'node:crypto';
import { Agent } from 'node:https';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  S3Client,
  type ListObjectsCommandOutput,
  type PutObjectCommandInput,
  type StorageClass,
} from '@aws-sdk/client-s3';
import type { Binding, BindingRequest, BindingResponse } from '@mecha/bindings';
import { errorMessage, parseDuration, silentLogger, type Logger } from '@mecha/core';
import { awsClientConfig, requireRegion, type AwsConnectionFields } from './aws-client-config.ts';
import { decodeBase64Content, encodeBase64Content } from './base64-content.ts';
import { requestFlag } from './request-flag.ts';
import { mapWithConcurrency, parseBulkCreate, parseBulkDelete, parseBulkGet, type BulkItemResult } from './s3-bulk-payload.ts';
import { presignGetObject } from './s3-presign.ts';

export interface S3BindingOptions extends AwsConnectionFields {
  bucket: string;
  /** Path-style addressing (`https://endpoint/bucket/key`) instead of virtual-hosted (`https://bucket.endpoint/key`). */
  forcePathStyle?: boolean;
  /** Accept any TLS certificate from an https endpoint (self-signed test servers). */
  insecureSSL?: boolean;
  /** Default for `create`: the data is base64 and is stored decoded. */
  decodeBase64?: boolean;
  /** Default for `get`/`bulkGet`: the object is returned base64-encoded. */
  encodeBase64?: boolean;
  /** Default presign lifetime in ms (`presign`, and `create` returns a URL when set). */
  presignTtlMs?: number;
  /** Default storage class of created objects (STANDARD, STANDARD_IA, …). */
  storageClass?: string;
  logger?: Logger;
}

const operations = ['create', 'get', 'delete', 'list', 'presign', 'bulkGet', 'bulkCreate', 'bulkDelete'] as const;
const maxDeleteBatch = 1000;
const empty = (): BindingResponse => ({ data: new Uint8Array(0), metadata: {} });
const json = (value: unknown): BindingResponse => ({ data: Buffer.from(JSON.stringify(value)), metadata: {} });

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string; Code?: string } | undefined)?.name;
  return name === 'NoSuchKey' || name === 'NotFound';
}

/**
 * `bindings.aws.s3`: objects of one bucket through the AWS SDK v3, with Dapr's operations,
 * request metadata and response shapes. Objects are sent in one PutObject (up to 5 GB; the
 * request already holds the whole payload in memory, so a multipart upload would gain nothing).
 */
export class S3Binding implements Binding {
  readonly operations = operations;
  readonly #client: S3Client;
  readonly #options: S3BindingOptions;
  readonly #logger: Logger;

  private constructor(client: S3Client, options: S3BindingOptions) {
    this.#client = client;
    this.#options = options;
    this.#logger = options.logger ?? silentLogger();
  }

  /** Builds the client and checks the settings; touches no bucket (as daprd, which only reports failures per call). */
  static async create(options: S3BindingOptions): Promise<S3Binding> {
    if (!options.bucket?.trim()) throw new Error('metadata field "bucket" is required');
    const config = awsClientConfig(options);
    const client = new S3Client({
      ...config,
      forcePathStyle: options.forcePathStyle ?? false,
      // Checksums only where S3 requires them (DeleteObjects): S3-compatible servers that do not
      // know the newer CRC headers still accept every request.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(options.insecureSSL ? { requestHandler: { httpsAgent: new Agent({ rejectUnauthorized: false }) } } : {}),
    });
    try {
      await requireRegion(() => client.config.region(), 'bindings.aws.s3');
    } catch (error) {
      client.destroy();
      throw error;
    }
    if (options.insecureSSL) (options.logger ?? silentLogger()).warn('bindings.aws.s3: insecureSSL is on: TLS certificates are not verified');
    return new S3Binding(client, { ...options, bucket: options.bucket.trim() });
  }

  async invoke(request: BindingRequest): Promise<BindingResponse> {
    switch (request.operation) {
      case 'create':
        return this.#create(request);
      case 'get':
        return this.#get(request);
      case 'delete':
        return this.#delete(request);
      case 'list':
        return this.#list(request);
      case 'presign':
        return this.#presign(request);
      case 'bulkGet':
        return this.#bulkGet(request);
      case 'bulkCreate':
        return this.#bulkCreate(request);
      case 'bulkDelete':
        return this.#bulkDelete(request);
      default:
        throw new Error(`s3 binding error: unsupported operation ${request.operation}`);
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  get #bucket(): string {
    return this.#options.bucket;
  }

  #requireKey(metadata: Record<string, string>): string {
    const key = metadata['key'];
    if (!key) throw new Error("s3 binding error: required metadata 'key' missing");
    return key;
  }

  #presignTtlSeconds(metadata: Record<string, string>): number | undefined {
    const text = metadata['presignTTL'];
    if (text !== undefined && text.trim() !== '') {
      let ms: number;
      try {
        ms = parseDuration(text);
      } catch {
        throw new Error(`s3 binding error: cannot parse duration ${text}`);
      }
      return ms / 1000;
    }
    return this.#options.presignTtlMs === undefined ? undefined : this.#options.presignTtlMs / 1000;
  }

  async #create(request: BindingRequest): Promise<BindingResponse> {
    const { metadata } = request;
    if (metadata['filePath']) throw new Error('s3 binding error: filePath is not supported by this runtime: send the content as data');
    const key = metadata['key'] || randomUUID();
    const body = requestFlag(metadata, 'decodeBase64', this.#options.decodeBase64 ?? false) ? decodeBase64Content(request.data, 's3 binding error: data') : request.data;
    const input: PutObjectCommandInput = { Bucket: this.#bucket, Key: key, Body: body };
    const contentType = (metadata['Content-Type'] ?? metadata['contentType'] ?? '').trim();
    if (contentType) input.ContentType = contentType;
    const storageClass = metadata['storageClass'] || this.#options.storageClass;
    if (storageClass) input.StorageClass = storageClass as StorageClass;
    if (metadata['tags'] !== undefined) input.Tagging = tagging(metadata['tags']);
    const presignTtl = this.#presignTtlSeconds(metadata);
    const { location, versionId } = await this.#putObject(input);
    const answer: Record<string, unknown> = { location, versionID: versionId };
    if (presignTtl !== undefined) answer['presignURL'] = await this.#presignUrl(key, presignTtl);
    return { data: Buffer.from(JSON.stringify(answer)), metadata: { key } };
  }

  /** Uploads one object; answers the URL it was written to and its version (null when unversioned). */
  async #putObject(input: PutObjectCommandInput): Promise<{ location: string; versionId: string | null }> {
    const command = new PutObjectCommand(input);
    let location = '';
    // Where the object went, as the SDK addressed it (endpoint, path or virtual-host style).
    command.middlewareStack.add(
      (next) => async (args) => {
        const built = args.request as { protocol: string; hostname: string; port?: number; path: string };
        location = `${built.protocol}//${built.hostname}${built.port ? `:${built.port}` : ''}${built.path}`;
        return next(args);
      },
      { step: 'build', name: 'mechaObjectLocation' },
    );
    try {
      const output = await this.#client.send(command);
      return { location, versionId: output.VersionId ?? null };
    } catch (error) {
      throw new Error(`s3 binding error: uploading failed: ${errorMessage(error)}`, { cause: error });
    }
  }

  async #presignUrl(key: string, ttlSeconds: number): Promise<string> {
    try {
      return await presignGetObject(this.#client, this.#bucket, key, ttlSeconds);
    } catch (error) {
      throw new Error(`s3 binding error: failed to presign URL: ${errorMessage(error)}`, { cause: error });
    }
  }

  async #presign(request: BindingRequest): Promise<BindingResponse> {
    const key = this.#requireKey(request.metadata);
    const ttl = this.#presignTtlSeconds(request.metadata);
    if (ttl === undefined) throw new Error("s3 binding error: required metadata 'presignTTL' missing");
    return json({ presignURL: await this.#presignUrl(key, ttl) });
  }

  async #getObject(key: string): Promise<Uint8Array> {
    try {
      const output = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      return output.Body ? await output.Body.transformToByteArray() : new Uint8Array(0);
    } catch (error) {
      if (isNotFound(error)) throw new Error('object not found', { cause: error });
      throw new Error(`s3 binding error: error downloading S3 object: ${errorMessage(error)}`, { cause: error });
    }
  }

  async #get(request: BindingRequest): Promise<BindingResponse> {
    const key = this.#requireKey(request.metadata);
    const bytes = await this.#getObject(key);
    const encode = requestFlag(request.metadata, 'encodeBase64', this.#options.encodeBase64 ?? false);
    return { data: encode ? encodeBase64Content(bytes) : bytes, metadata: {} };
  }

  async #delete(request: BindingRequest): Promise<BindingResponse> {
    const key = this.#requireKey(request.metadata);
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (error) {
      if (isNotFound(error)) throw new Error('object not found', { cause: error });
      throw new Error(`s3 binding error: delete operation failed: ${errorMessage(error)}`, { cause: error });
    }
    return empty();
  }

  async #list(request: BindingRequest): Promise<BindingResponse> {
    let payload: { marker?: unknown; prefix?: unknown; maxResults?: unknown; delimiter?: unknown } = {};
    const text = Buffer.from(request.data).toString('utf8').trim();
    if (text !== '') {
      try {
        payload = JSON.parse(text) as typeof payload;
      } catch (error) {
        throw new Error(`s3 binding (List Operation) - unable to parse Data property - ${errorMessage(error)}`);
      }
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
        throw new Error('s3 binding (List Operation) - unable to parse Data property - expected a JSON object');
      }
    }
    const stringField = (name: 'marker' | 'prefix' | 'delimiter'): string | undefined => {
      const value = payload[name];
      if (value === undefined || value === null || value === '') return undefined;
      if (typeof value !== 'string') throw new Error(`s3 binding (List Operation) - ${name} must be a string`);
      return value;
    };
    const max = payload.maxResults;
    if (max !== undefined && max !== null && (typeof max !== 'number' || !Number.isInteger(max))) {
      throw new Error('s3 binding (List Operation) - maxResults must be a whole number');
    }
    const maxKeys = typeof max === 'number' && max >= 1 ? max : 1000;
    let output: ListObjectsCommandOutput;
    try {
      output = await this.#client.send(
        new ListObjectsCommand({ Bucket: this.#bucket, MaxKeys: maxKeys, Marker: stringField('marker'), Prefix: stringField('prefix'), Delimiter: stringField('delimiter') }),
      );
    } catch (error) {
      throw new Error(`s3 binding error: list operation failed: ${errorMessage(error)}`, { cause: error });
    }
    // The S3 answer with its own field names, as Dapr marshals it; the SDK's call metadata left out.
    const { $metadata: _metadata, ...result } = output;
    return json(result);
  }

  async #bulkGet(request: BindingRequest): Promise<BindingResponse> {
    const { items, concurrency } = parseBulkGet(request.data);
    const encode = requestFlag(request.metadata, 'encodeBase64', this.#options.encodeBase64 ?? false);
    const results = await mapWithConcurrency(items, concurrency, async (item): Promise<BulkItemResult> => {
      if (!item.key) return { key: '', error: 'key is required' };
      if (item.filePath !== undefined) return { key: item.key, error: 'filePath is not supported by this runtime' };
      try {
        const bytes = await this.#getObject(item.key);
        // As daprd: the object's bytes as a JSON string (so binary content needs encodeBase64).
        return { key: item.key, data: Buffer.from(encode ? encodeBase64Content(bytes) : bytes).toString('utf8') };
      } catch (error) {
        return { key: item.key, error: errorMessage(error) };
      }
    });
    return json(results.map(withoutEmpty));
  }

  async #bulkCreate(request: BindingRequest): Promise<BindingResponse> {
    const { items, concurrency } = parseBulkCreate(request.data);
    const decode = requestFlag(request.metadata, 'decodeBase64', this.#options.decodeBase64 ?? false);
    const results = await mapWithConcurrency(items, concurrency, async (item, index): Promise<BulkItemResult> => {
      if (!item.key) return { key: '', error: 'key is required' };
      if (item.filePath !== undefined) return { key: item.key, error: 'filePath is not supported by this runtime' };
      if (item.data === undefined) return { key: item.key, error: 'either data or filePath is required' };
      try {
        const raw = Buffer.from(item.data, 'utf8');
        const body = decode ? decodeBase64Content(raw, `items[${index}].data`) : raw;
        const input: PutObjectCommandInput = { Bucket: this.#bucket, Key: item.key, Body: body };
        if (item.contentType) input.ContentType = item.contentType;
        const { location } = await this.#putObject(input);
        return { key: item.key, location };
      } catch (error) {
        return { key: item.key, error: errorMessage(error) };
      }
    });
    return json(results.map(withoutEmpty));
  }

  async #bulkDelete(request: BindingRequest): Promise<BindingResponse> {
    const { keys } = parseBulkDelete(request.data);
    const results: BulkItemResult[] = keys.map((key) => ({ key }));
    const indexes = new Map<string, number[]>();
    keys.forEach((key, index) => {
      if (key.trim() === '') {
        results[index]!.error = 'key is required';
        return;
      }
      const list = indexes.get(key);
      if (list) list.push(index);
      else indexes.set(key, [index]);
    });
    const unique = [...indexes.keys()];
    for (let start = 0; start < unique.length; start += maxDeleteBatch) {
      const batch = unique.slice(start, start + maxDeleteBatch);
      const fail = (key: string, message: string) => {
        for (const index of indexes.get(key) ?? []) results[index]!.error = message;
      };
      try {
        const output = await this.#client.send(
          new DeleteObjectsCommand({ Bucket: this.#bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: false } }),
        );
        for (const failure of output.Errors ?? []) {
          if (failure.Key !== undefined) fail(failure.Key, failure.Message ?? 'unknown error');
        }
      } catch (error) {
        this.#logger.warn({ bucket: this.#bucket, keys: batch.length, error: errorMessage(error) }, 'bindings.aws.s3: a bulkDelete batch failed');
        for (const key of batch) fail(key, errorMessage(error));
      }
    }
    return json(results.map(withoutEmpty));
  }
}

function withoutEmpty(result: BulkItemResult): BulkItemResult {
  return Object.fromEntries(Object.entries(result).filter(([name, value]) => name === 'key' || (value !== undefined && value !== ''))) as unknown as BulkItemResult;
}

/** Dapr's `tags` metadata, `key=value,key2=value2`, as S3's Tagging header (URL-encoded pairs). */
function tagging(raw: string): string | undefined {
  const pairs = new URLSearchParams();
  for (const entry of raw.split(',')) {
    const at = entry.indexOf('=');
    const key = at === -1 ? '' : entry.slice(0, at).trim();
    const value = at === -1 ? '' : entry.slice(at + 1).trim();
    if (!key || !value) throw new Error(`s3 binding error: parsing tags failed: invalid tag format: '${entry}' (expected key=value)`);
    pairs.append(key, value);
  }
  const text = pairs.toString();
  return text === '' ? undefined : text;
}
