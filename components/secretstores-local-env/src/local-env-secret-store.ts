import type { Secret, SecretStore } from '@mecha/secrets';

export interface LocalEnvSecretStoreOptions {
  /** Only variables starting with it are secrets, named without it. Empty: every variable. */
  prefix?: string;
  /** The environment to read; default `process.env`, read at each call. */
  env?: NodeJS.ProcessEnv;
}

/**
 * The sidecar's environment variables as secrets, each `{ <name>: <value> }`. As in daprd,
 * variables starting with `DAPR_` and `APP_API_TOKEN` are never served: they are the
 * sidecar's own credentials. With a `prefix`, only variables that start with it are served,
 * under their name without it (matched case-sensitively, as daprd on Linux).
 */
export class LocalEnvSecretStore implements SecretStore {
  readonly #prefix: string;
  readonly #env: NodeJS.ProcessEnv;

  constructor(options: LocalEnvSecretStoreOptions = {}) {
    this.#prefix = options.prefix ?? '';
    this.#env = options.env ?? process.env;
  }

  async get(name: string): Promise<Secret | undefined> {
    if (name === '') return undefined;
    const variable = this.#prefix + name;
    const value = this.#env[variable];
    if (value === undefined || isProtected(variable)) return undefined;
    return { [name]: value };
  }

  async bulkGet(): Promise<Record<string, Secret>> {
    const secrets: Record<string, Secret> = {};
    for (const [variable, value] of Object.entries(this.#env)) {
      if (value === undefined || isProtected(variable) || !variable.startsWith(this.#prefix)) continue;
      const name = variable.slice(this.#prefix.length);
      if (name !== '') secrets[name] = { [name]: value };
    }
    return secrets;
  }

  async close(): Promise<void> {}
}

function isProtected(variable: string): boolean {
  return variable.startsWith('DAPR_') || variable === 'APP_API_TOKEN';
}
