import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { reachable } from './backends.ts';

/**
 * The real brokers behind the pub/sub suites, each as the Dapr component YAML a Dapr user
 * already has for it: Dapr's component type and metadata names, only addresses and names
 * differ. Every broker has a main server (shared by every suite) and a private failure
 * instance that only the failure suites stop and restart, each holding it exclusively while
 * it does (`holdService` from `@mecha/services/lock`), so suites running at the same time are
 * not disturbed (see tooling/services/README.md).
 */
export type BrokerName = 'redis' | 'kafka' | 'rabbitmq' | 'mqtt3' | 'jetstream';

export interface BrokerServer {
  /** The name `bash tooling/services/up.sh <service>` and `ctl.sh` know it by. */
  service: string;
  /** host:port to probe before a suite runs. */
  address: string;
}

export interface Broker {
  name: BrokerName;
  /** Dapr's component type. */
  type: string;
  main: BrokerServer;
  /** The private instance failure tests stop and restart. */
  failure: BrokerServer;
  /**
   * The Component resource for `server`, named `name`. `recovery` adds the settings a Dapr
   * user turns down so a crashed sidecar's unacknowledged messages come back in seconds
   * rather than the defaults' minute (every one of them a Dapr metadata field).
   */
  componentYaml(server: BrokerServer, options?: { name?: string; recovery?: boolean }): string;
}

const env = (name: string, fallback: string) => process.env[name] || fallback;

function server(service: string, variable: string, fallback: string): BrokerServer {
  return { service, address: env(variable, fallback) };
}

/** host:port of an address written as a URL (`amqp://user:pass@host:port`) or as host:port. */
function hostPort(address: string): string {
  const match = /^[a-z]+:\/\/(?:[^@/]*@)?([^/?]+)/i.exec(address);
  return match ? match[1]! : address;
}

export const brokers: Broker[] = [
  {
    name: 'redis',
    type: 'pubsub.redis',
    main: server('redis', 'MECHA_TEST_REDIS', '127.0.0.1:6379'),
    failure: server('redis-failure', 'MECHA_TEST_REDIS_FAILURE', '127.0.0.1:6390'),
    componentYaml: (at, { name = 'pubsub', recovery = false } = {}) =>
      component(name, 'pubsub.redis', {
        redisHost: at.address,
        redisPassword: '',
        ...(recovery ? { processingTimeout: '10s', redeliverInterval: '2s' } : {}),
      }),
  },
  {
    name: 'kafka',
    type: 'pubsub.kafka',
    main: server('kafka', 'MECHA_TEST_KAFKA', '127.0.0.1:9092'),
    failure: server('kafka-failure', 'MECHA_TEST_KAFKA_FAILURE', '127.0.0.1:9094'),
    componentYaml: (at, { name = 'pubsub', recovery = false } = {}) =>
      component(name, 'pubsub.kafka', {
        brokers: at.address,
        authType: 'none',
        initialOffset: 'newest',
        ...(recovery ? { sessionTimeout: '6s', heartbeatInterval: '1s' } : {}),
      }),
  },
  {
    name: 'rabbitmq',
    type: 'pubsub.rabbitmq',
    main: server('rabbitmq', 'MECHA_TEST_RABBITMQ', 'amqp://guest:guest@127.0.0.1:5672'),
    failure: server('rabbitmq-failure', 'MECHA_TEST_RABBITMQ_FAILURE', 'amqp://guest:guest@127.0.0.1:5673'),
    componentYaml: (at, { name = 'pubsub', recovery = false } = {}) =>
      component(name, 'pubsub.rabbitmq', {
        connectionString: at.address,
        durable: 'true',
        // Keep a group's queue (and its messages) while the group has no subscriber.
        deletedWhenUnused: 'false',
        autoAck: 'false',
        // Persistent messages, so they survive the broker restarting.
        deliveryMode: '2',
        requeueInFailure: 'true',
        prefetchCount: '100',
        ...(recovery ? { reconnectWaitSeconds: '1' } : {}),
      }),
  },
  {
    name: 'mqtt3',
    type: 'pubsub.mqtt3',
    main: server('mosquitto', 'MECHA_TEST_MQTT', 'mqtt://127.0.0.1:1883'),
    failure: server('mosquitto-failure', 'MECHA_TEST_MQTT_FAILURE', 'mqtt://127.0.0.1:1884'),
    componentYaml: (at, { name = 'pubsub' } = {}) =>
      component(name, 'pubsub.mqtt3', {
        url: `tcp://${hostPort(at.address)}`,
        qos: '1',
        retain: 'false',
        cleanSession: 'false',
      }),
  },
  {
    name: 'jetstream',
    type: 'pubsub.jetstream',
    main: server('nats', 'MECHA_TEST_NATS', 'nats://127.0.0.1:4222'),
    failure: server('nats-failure', 'MECHA_TEST_NATS_FAILURE', 'nats://127.0.0.1:4223'),
    componentYaml: (at, { name = 'pubsub', recovery = false } = {}) =>
      component(name, 'pubsub.jetstream', {
        natsURL: at.address,
        name: 'mecha tests',
        deliverPolicy: 'all',
        ...(recovery ? { ackWait: '5s' } : {}),
      }),
  },
];

/** Redis without persistence: a restart loses every stream and consumer group. */
export const volatileRedis: BrokerServer = server('redis-volatile', 'MECHA_TEST_REDIS_VOLATILE', '127.0.0.1:6391');

export function brokerNamed(name: BrokerName): Broker {
  return brokers.find((b) => b.name === name)!;
}

export function component(name: string, type: string, metadata: Record<string, string>): string {
  const items = Object.entries(metadata)
    .map(([field, value]) => `    - name: ${field}\n      value: ${JSON.stringify(value)}`)
    .join('\n');
  return `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: ${type}
  version: v1
  metadata:
${items}
`;
}

/**
 * Fails, naming the server and the command that starts it, when nothing answers at its
 * address. A failure instance may be in the middle of a restart by another suite (component
 * tests restart them too), so it is given a few seconds to come back.
 */
export async function requireBroker(at: BrokerServer, graceMs = 20_000): Promise<void> {
  const address = hostPort(at.address);
  const deadline = Date.now() + graceMs;
  while (!(await reachable(address)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
  if (!(await reachable(address))) {
    throw new Error(`${at.service} is not reachable at ${address}: start it with \`bash tooling/services/up.sh ${at.service}\``);
  }
}

const ctlScript = fileURLToPath(new URL('../../../../tooling/services/ctl.sh', import.meta.url));
const execFileAsync = promisify(execFile);

/** `bash tooling/services/ctl.sh <action> <service>`; throws with its output when it fails. */
export async function ctl(action: 'stop' | 'start' | 'restart' | 'status', service: string): Promise<string> {
  try {
    // start waits for up.sh's lock, which another up.sh may hold for a while.
    const { stdout, stderr } = await execFileAsync('bash', [ctlScript, action, service], { timeout: 300_000 });
    return `${stdout}${stderr}`.trim();
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`bash tooling/services/ctl.sh ${action} ${service} failed: ${`${failure.stdout ?? ''}${failure.stderr ?? ''}`.trim() || failure.message}`);
  }
}

/** Leaves `service` running whatever a test did to it. */
export async function ensureRunning(service: string): Promise<void> {
  try {
    await ctl('status', service);
  } catch {
    await ctl('start', service);
  }
}
