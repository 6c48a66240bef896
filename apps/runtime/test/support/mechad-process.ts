import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const mechadBin = fileURLToPath(new URL('../../bin/mechad.js', import.meta.url));

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix = 'mecha-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

/** The default resources of a test sidecar: SQLite state, in-memory state, in-memory pub/sub. */
export function defaultResources(dataDir: string): Record<string, string> {
  return {
    'statestore.yaml': `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: state.sqlite
  version: v1
  metadata:
    - name: connectionString
      value: "${path.join(dataDir, 'state.db')}"
`,
    'memstore.yaml': `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: memstore
spec:
  type: state.in-memory
  version: v1
`,
    'pubsub.yaml': `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pubsub
spec:
  type: pubsub.in-memory
  version: v1
`,
  };
}

export interface MechadOptions {
  appId: string;
  appPort?: number;
  /** File name → YAML text, written to a fresh resources folder. Defaults to defaultResources(). */
  resources?: Record<string, string>;
  /** Shared by sidecars that must find each other (the name-resolution registry lives there). */
  mechaHome?: string;
  args?: string[];
  env?: Record<string, string>;
  /** Resolve once healthz/outbound answers 204 (default), or once the process exits. */
  waitFor?: 'outbound' | 'ready' | 'exit';
}

export interface MechadProcess {
  httpPort: number;
  grpcPort: number;
  url: string;
  process: ChildProcess;
  mechaHome: string;
  resourcesDir: string;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startMechad(options: MechadOptions): Promise<MechadProcess> {
  const mechaHome = options.mechaHome ?? tempDir('mecha-home-');
  const resourcesDir = tempDir('mecha-resources-');
  mkdirSync(resourcesDir, { recursive: true });
  const resources = options.resources ?? defaultResources(tempDir('mecha-data-'));
  for (const [name, text] of Object.entries(resources)) writeFileSync(path.join(resourcesDir, name), text);
  const httpPort = await freePort();
  const grpcPort = await freePort();
  const args = [
    mechadBin,
    '--app-id',
    options.appId,
    '--dapr-http-port',
    String(httpPort),
    '--dapr-grpc-port',
    String(grpcPort),
    '--resources-path',
    resourcesDir,
    ...(options.appPort ? ['--app-port', String(options.appPort)] : []),
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, MECHA_HOME: mechaHome, DAPR_API_TOKEN: '', APP_API_TOKEN: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${httpPort}`;
  const handle: MechadProcess = {
    httpPort,
    grpcPort,
    url,
    process: child,
    mechaHome,
    resourcesDir,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  if (options.waitFor === 'exit') {
    await exited;
    return handle;
  }
  const path_ = options.waitFor === 'ready' ? '/v1.0/healthz' : '/v1.0/healthz/outbound';
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(async () => {
    if (gone) throw new Error(`mechad exited early:\n${output}`);
    const response = await fetch(url + path_).catch(() => undefined);
    return response?.status === 204 ? true : undefined;
  }, `mechad ${options.appId} on ${url}${path_}`, 15_000).catch((error: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${error.message}\n--- mechad output ---\n${output}`);
  });
  return handle;
}
