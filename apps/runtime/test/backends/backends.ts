import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
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
  /** Environment the sidecar needs, as a Dapr user sets it (for example an emulator's address). */
  env?: Record<string, string>;
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
  {
    name: 'dynamodb',
    address: env('MECHA_TEST_DYNAMODB', 'http://127.0.0.1:8000').replace(/^https?:\/\//, ''),
    componentYaml: (run) =>
      component('state.aws.dynamodb', {
        table: `matrix-${run}`,
        region: 'us-east-1',
        endpoint: env('MECHA_TEST_DYNAMODB', 'http://127.0.0.1:8000'),
        accessKey: 'mechatest',
        secretKey: 'mechatest',
      }),
    // A Dapr user creates the table (partition key `key`) before starting the sidecar.
    prepare: (run) => createDynamoTable(`matrix-${run}`),
  },
  {
    name: 'firestore',
    address: env('MECHA_TEST_FIRESTORE', '127.0.0.1:8080'),
    componentYaml: (run) =>
      component('state.gcp.firestore', {
        project_id: `mecha-matrix-${run}`,
        entity_kind: 'DaprState',
      }),
    // The Google client libraries' own switch to the emulator, so the component file stays Dapr's.
    env: { FIRESTORE_EMULATOR_HOST: env('MECHA_TEST_FIRESTORE', '127.0.0.1:8080') },
  },
];

/** The AWS SDK the DynamoDB component itself uses, reached through that package. */
async function createDynamoTable(table: string): Promise<void> {
  const fromComponent = createRequire(new URL(import.meta.resolve('@mecha/state-aws-dynamodb')));
  // Typed loosely: the SDK is the component's dependency, not this package's.
  const sdk = fromComponent('@aws-sdk/client-dynamodb') as {
    DynamoDBClient: new (config: object) => { send(command: object): Promise<unknown>; destroy(): void };
    CreateTableCommand: new (input: object) => object;
  };
  const client = new sdk.DynamoDBClient({
    endpoint: env('MECHA_TEST_DYNAMODB', 'http://127.0.0.1:8000'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'mechatest', secretAccessKey: 'mechatest' },
  });
  try {
    await client.send(
      new sdk.CreateTableCommand({
        TableName: table,
        KeySchema: [{ AttributeName: 'key', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'key', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } finally {
    client.destroy();
  }
}

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
