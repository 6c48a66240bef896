import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { parseDuration } from '../duration.ts';
import type { Logger } from '../logger.ts';
import { ResourceFileError } from './resource-file-error.ts';
import {
  componentDocument,
  configurationDocument,
  httpEndpointDocument,
  resiliencyDocument,
  subscriptionV1Document,
  subscriptionV2Document,
} from './schemas.ts';
import type { LoadedResources, ResourceSource } from './types.ts';

export interface LoadResourcesOptions {
  /** Resources whose `scopes` list other app ids are left out, as daprd does. */
  appId?: string;
  logger?: Logger;
}

const YAML_FILE = /\.ya?ml$/i;

/** Lists the YAML files of every path (a folder's files, not its sub-folders, or a file itself), in a stable order. */
async function listResourceFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const given of paths) {
    const absolute = path.resolve(given);
    let info;
    try {
      info = await stat(absolute);
    } catch {
      throw new ResourceFileError(absolute, 'resources path does not exist');
    }
    if (info.isFile()) {
      files.push(absolute);
      continue;
    }
    const entries = await readdir(absolute, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isFile() && YAML_FILE.test(entry.name)) files.push(path.join(absolute, entry.name));
    }
  }
  return files;
}

function fieldPath(pathParts: readonly PropertyKey[]): string {
  return pathParts
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

function parseWith<T extends z.ZodType>(schema: T, doc: unknown, where: string): z.output<T> {
  const result = schema.safeParse(doc);
  if (result.success) return result.data;
  // A misspelt field also makes the real one "missing": report the unknown field first.
  const issues = [...result.error.issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
  const describe = (issue: (typeof issues)[number]) => {
    const field = fieldPath(issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path);
    const message = issue.code === 'unrecognized_keys' ? `unknown field "${issue.keys.join('", "')}"` : issue.message;
    return { field, message };
  };
  const first = describe(issues[0]!);
  const more = issues.slice(1, 3).map((issue) => {
    const { field, message } = describe(issue);
    return `; field ${field}: ${message}`;
  });
  throw new ResourceFileError(where, first.message + more.join(''), first.field || undefined);
}

function inScope(scopes: readonly string[], appId: string | undefined): boolean {
  return scopes.length === 0 || appId === undefined || scopes.includes(appId);
}

/**
 * Reads every Dapr resource document from the given folders or files. Several documents
 * per file are allowed; documents of kinds Mecha does not know are skipped with a warning;
 * a malformed document of a known kind throws a ResourceFileError naming file and field.
 */
export async function loadResources(
  paths: readonly string[],
  options: LoadResourcesOptions = {},
): Promise<LoadedResources> {
  const loaded: LoadedResources = { components: [], subscriptions: [], configurations: [], resiliencies: [], httpEndpoints: [] };
  for (const file of await listResourceFiles(paths)) {
    const text = await readFile(file, 'utf8');
    const documents = parseAllDocuments(text);
    const docs = Array.isArray(documents) ? documents : [documents];
    let position = 0;
    for (const document of docs) {
      position += 1;
      if (document.errors.length > 0) {
        throw new ResourceFileError(`${file} (document ${position})`, `invalid YAML: ${document.errors[0]!.message}`);
      }
      const value: unknown = document.toJS();
      if (value === null || value === undefined) continue; // an empty document, e.g. a trailing `---`
      addDocument(loaded, value, { file, document: position }, options);
    }
  }
  return loaded;
}

/** Parses one already-decoded document and adds it to `loaded`; exported for resources given inline (tests, embedded use). */
export function addDocument(
  loaded: LoadedResources,
  value: unknown,
  source: ResourceSource,
  options: LoadResourcesOptions = {},
): void {
  const where = `${source.file} (document ${source.document})`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ResourceFileError(where, 'a resource document must be a mapping with apiVersion, kind, metadata and spec');
  }
  const { apiVersion, kind } = value as { apiVersion?: unknown; kind?: unknown };
  const { logger, appId } = options;
  switch (kind) {
    case 'Component': {
      const doc = parseWith(componentDocument, value, where);
      if (!inScope(doc.scopes, appId)) return;
      loaded.components.push({
        kind: 'Component',
        name: doc.metadata.name,
        namespace: doc.metadata.namespace,
        type: doc.spec.type,
        version: doc.spec.version,
        metadata: doc.spec.metadata,
        initTimeoutMs: doc.spec.initTimeout === undefined ? undefined : durationField(doc.spec.initTimeout, where, 'spec.initTimeout'),
        ignoreErrors: doc.spec.ignoreErrors,
        secretStore: doc.auth?.secretStore,
        scopes: doc.scopes,
        source,
      });
      return;
    }
    case 'Subscription': {
      if (apiVersion === 'dapr.io/v1alpha1') {
        const doc = parseWith(subscriptionV1Document, value, where);
        if (!inScope(doc.scopes, appId)) return;
        loaded.subscriptions.push({
          kind: 'Subscription',
          apiVersion,
          name: doc.metadata.name,
          pubsubName: doc.spec.pubsubname,
          topic: doc.spec.topic,
          routes: { rules: [], default: doc.spec.route },
          deadLetterTopic: doc.spec.deadLetterTopic,
          metadata: doc.spec.metadata,
          bulkSubscribe: doc.spec.bulkSubscribe,
          scopes: doc.scopes,
          source,
        });
        return;
      }
      const doc = parseWith(subscriptionV2Document, value, where);
      if (!inScope(doc.scopes, appId)) return;
      loaded.subscriptions.push({
        kind: 'Subscription',
        apiVersion: 'dapr.io/v2alpha1',
        name: doc.metadata.name,
        pubsubName: doc.spec.pubsubname,
        topic: doc.spec.topic,
        routes: { rules: doc.spec.routes.rules, default: doc.spec.routes.default },
        deadLetterTopic: doc.spec.deadLetterTopic,
        metadata: doc.spec.metadata,
        bulkSubscribe: doc.spec.bulkSubscribe,
        scopes: doc.scopes,
        source,
      });
      return;
    }
    case 'Configuration': {
      const doc = parseWith(configurationDocument, value, where);
      loaded.configurations.push({ kind: 'Configuration', name: doc.metadata.name, spec: doc.spec, source });
      return;
    }
    case 'Resiliency': {
      const doc = parseWith(resiliencyDocument, value, where);
      if (!inScope(doc.scopes, appId)) return;
      loaded.resiliencies.push({ kind: 'Resiliency', name: doc.metadata.name, spec: doc.spec, scopes: doc.scopes, source });
      return;
    }
    case 'HTTPEndpoint': {
      const doc = parseWith(httpEndpointDocument, value, where);
      if (!inScope(doc.scopes, appId)) return;
      loaded.httpEndpoints.push({
        kind: 'HTTPEndpoint',
        name: doc.metadata.name,
        baseUrl: doc.spec.baseUrl,
        headers: doc.spec.headers,
        scopes: doc.scopes,
        source,
      });
      return;
    }
    default:
      if (typeof apiVersion === 'string' && apiVersion.startsWith('dapr.io/')) {
        throw new ResourceFileError(where, `unknown kind "${String(kind)}" (expected Component, Configuration, Subscription, Resiliency or HTTPEndpoint)`, 'kind');
      }
      // Not a Dapr document (for example a Kubernetes object kept in the same folder).
      logger?.warn({ file: source.file, document: source.document, kind }, 'skipping a document that is not a Dapr resource');
  }
}

function durationField(value: string, where: string, field: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new ResourceFileError(where, (error as Error).message, field);
  }
}

/** A single Configuration by file path (daprd's `--config`). */
export async function loadConfiguration(file: string, options: LoadResourcesOptions = {}) {
  const loaded = await loadResources([file], options);
  if (loaded.configurations.length === 0) {
    throw new ResourceFileError(path.resolve(file), 'no Configuration document found in the --config file');
  }
  return loaded.configurations[0]!;
}
