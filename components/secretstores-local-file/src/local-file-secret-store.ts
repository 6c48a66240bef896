import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '@mecha/core';
import type { Secret, SecretStore } from '@mecha/secrets';
import { flattenJson } from './flatten-json.ts';

export interface LocalFileSecretStoreOptions {
  /** The JSON file; a relative path is taken from the working directory, as daprd does. */
  secretsFile: string;
  /** Joins nested keys when flattening (default `:`). */
  nestedSeparator?: string;
  /** Top-level keys are secrets with several key/values each, instead of one secret per flattened key. */
  multiValued?: boolean;
}

/**
 * Secrets from a JSON file, read once when the store opens (as daprd does: edit the file,
 * restart the sidecar). Not for production: the file is plain text.
 *
 * - `multiValued: false`: every flattened key is a secret holding one value,
 *   `{"db": {"password": "x"}}` → secret `db:password` = `{"db:password": "x"}`.
 * - `multiValued: true`: every top-level key is a secret; an object's leaves, flattened, are
 *   its key/values (`db` = `{"password": "x"}`); a top-level plain value is `{name: value}`.
 */
export class LocalFileSecretStore implements SecretStore {
  readonly #secrets: ReadonlyMap<string, Secret>;

  private constructor(secrets: Map<string, Secret>) {
    this.#secrets = secrets;
  }

  static async open(options: LocalFileSecretStoreOptions): Promise<LocalFileSecretStore> {
    const file = path.resolve(options.secretsFile);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new Error(`cannot read secretsFile ${file}: ${errorMessage(error)}`, { cause: error });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      // The parser's message quotes a piece of the file, which may be a secret: say only where.
      const at = /position (\d+)/.exec(errorMessage(error))?.[1];
      throw new Error(`secretsFile ${file} is not valid JSON${at ? ` (at character ${at})` : ''}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error(`secretsFile ${file} must hold a JSON object`);
    }
    const separator = options.nestedSeparator ?? ':';
    const secrets = new Map<string, Secret>();
    if (options.multiValued) {
      for (const [name, value] of Object.entries(parsed)) {
        secrets.set(name, value !== null && typeof value === 'object' ? flattenJson(value, separator) : flattenJson(value, separator, name));
      }
    } else {
      for (const [name, value] of Object.entries(flattenJson(parsed, separator))) secrets.set(name, { [name]: value });
    }
    return new LocalFileSecretStore(secrets);
  }

  async get(name: string): Promise<Secret | undefined> {
    const secret = this.#secrets.get(name);
    return secret ? { ...secret } : undefined;
  }

  async bulkGet(): Promise<Record<string, Secret>> {
    return Object.fromEntries([...this.#secrets].map(([name, secret]) => [name, { ...secret }]));
  }

  async close(): Promise<void> {}
}
