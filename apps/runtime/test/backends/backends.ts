import { randomUUID } from 'node:crypto';
import net from 'node:net';

/**
 * The real servers behind the state-store matrix, each as the Dapr component YAML a Dapr user
 * already has for it (only addresses and names differ). Servers come from
 * `bash tooling/services/up.sh`; a missing one fails the suite naming that command.
 */
export interface Backend {
  name: string;
  /** host:port to probe before the suite runs. */
  address: string;
  /** The component file, with the store named `statestore`. */
  componentYaml: (run: string) => string;
  /** Preparation a Dapr user does by hand (for example creating a DynamoDB table). */
  prepare?: (run: string) => Promise<void>;
}

const env = (name: string, fallback: string) => process.env[name] || fallback;

export const backends: Backend[] = [
  {
    name: 'redis',
    address: env('MECHA_TEST_REDIS', '127.0.0.1:6379'),
    componentYaml: () => component('state.redis', { redisHost: env('MECHA_TEST_REDIS', '127.0.0.1:6379'), redisPassword: '' }),
  },
  {
    name: 'postgresql',
    address: '127.0.0.1:5432',
    componentYaml: (run) =>
      component('state.postgresql', {
        connectionString: 'host=127.0.0.1 user=postgres password=postgres port=5432 connect_timeout=10 database=postgres',
        tableName: `matrix_${run}`,
        timeout: '5s',
      }),
  },
  {
    name: 'mysql',
    address: '127.0.0.1:3306',
    componentYaml: (run) =>
      component('state.mysql', {
        connectionString: 'root:root@tcp(127.0.0.1:3306)/?allowNativePasswords=true',
        schemaName: 'mecha_matrix',
        tableName: `matrix_${run}`,
        timeoutInSeconds: '5',
      }),
  },
];

export function component(type: string, metadata: Record<string, string>): string {
  const items = Object.entries(metadata)
    .map(([name, value]) => `    - name: ${name}\n      value: ${JSON.stringify(value)}`)
    .join('\n');
  return `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: ${type}
  version: v1
  metadata:
${items}
`;
}

export function runId(): string {
  return randomUUID().replace(/-/g, '').slice(0, 10);
}

export function reachable(address: string, timeoutMs = 1000): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function requireServer(backend: Backend): Promise<void> {
  if (!(await reachable(backend.address))) {
    throw new Error(`${backend.name} is not reachable at ${backend.address}: start the test servers with \`bash tooling/services/up.sh\``);
  }
}
