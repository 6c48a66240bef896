import { CommunicationProtocolEnum, DaprClient, DaprServer, LogLevel } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from './backends/backends.ts';
import { deliveryRetries } from './backends/delivery-retries.ts';
import { bindingBrokers, type BindingBroker, type BrokerQueue } from './support/binding-brokers.ts';
import { freePort, startMechad, waitFor, type MechadProcess } from './support/mechad-process.ts';

/**
 * Broker-backed input bindings end to end: each binding's Dapr component file, unchanged,
 * behind real mechad processes, and an app written with the official `@dapr/dapr` SDK (a
 * DaprServer in HTTP mode and in gRPC mode) receiving with `server.binding.receive`. Events
 * come from a producer writing straight into the broker and from the output side of the same
 * binding (`DaprClient.binding.send`). An event the app fails is delivered again, by mechad's
 * retries and then by the broker itself, and is acknowledged only once the app took it; an
 * event the app was failing when its sidecar was SIGKILLed reaches the app through the next
 * sidecar, as does one produced while no sidecar ran.
 */
const modes = [
  { label: 'HTTP', protocol: CommunicationProtocolEnum.HTTP },
  { label: 'gRPC', protocol: CommunicationProtocolEnum.GRPC },
] as const;

const binding = 'orders';

/** Two deliveries per pass through mechad (one retry, 100 ms later); then the event goes back to the broker. */
const retries = deliveryRetries(binding, '100ms', 1);
const attemptsPerPass = 2;

const quiet = { level: LogLevel.Error, service: { error() {}, warn() {}, info() {}, verbose() {}, debug() {} } };

interface Order {
  id: string;
  text: string;
}

interface Delivery {
  id: string;
  data: unknown;
  taken: boolean;
}

/**
 * The app's handler: records every delivery in order, and throws for an event while
 * `failures` says it should still fail (a count, or Infinity while a test keeps it failing).
 */
class OrdersApp {
  readonly deliveries: Delivery[] = [];
  readonly failures = new Map<string, number>();

  readonly handle = async (data: unknown): Promise<void> => {
    const id = typeof data === 'object' && data !== null ? String((data as { id?: unknown }).id) : `?${JSON.stringify(data)}`;
    const left = this.failures.get(id) ?? 0;
    const taken = left <= 0;
    this.deliveries.push({ id, data, taken });
    if (!taken) {
      this.failures.set(id, left - 1);
      throw new Error(`the app fails ${id} on purpose`);
    }
  };

  of(id: string): Delivery[] {
    return this.deliveries.filter((d) => d.id === id);
  }

  /** Resolves once `id` was taken, with its deliveries. */
  async taken(id: string, timeoutMs = 20_000): Promise<Delivery[]> {
    await waitFor(() => this.of(id).some((d) => d.taken), `the app to take ${id}`, timeoutMs);
    return this.of(id);
  }

  /** Events delivered again after the app took them (nothing, when every take was acknowledged). */
  redeliveredAfterTaken(): string[] {
    const seen = new Set<string>();
    const again: string[] = [];
    for (const delivery of this.deliveries) {
      if (seen.has(delivery.id)) again.push(delivery.id);
      if (delivery.taken) seen.add(delivery.id);
    }
    return again;
  }
}

const order = (id: string): Order => ({ id, text: `order ${id}: "quoted", ünïcode, ${'x'.repeat(20)}` });

function describeBroker(broker: BindingBroker, mode: (typeof modes)[number]): void {
  describe(`${broker.type} input binding to a DaprServer in ${mode.label} mode`, () => {
    const run = runId();
    const appId = `bindings-${broker.name}-${mode.label.toLowerCase()}-${run}`;
    const grpc = mode.protocol === CommunicationProtocolEnum.GRPC;
    const app = new OrdersApp();
    let queue: BrokerQueue | undefined;
    let appPort = 0;
    let sidecar: MechadProcess | undefined;
    let server: DaprServer | undefined;

    const clientOptions = (of: MechadProcess) => ({
      daprHost: '127.0.0.1',
      daprPort: String(grpc ? of.grpcPort : of.httpPort),
      communicationProtocol: mode.protocol,
      logger: quiet,
    });

    /** A sidecar for the app: same app id, same component and Resiliency files every time. */
    async function startSidecar(): Promise<MechadProcess> {
      const started = await startMechad({
        appId,
        appPort,
        resources: { 'orders.yaml': queue!.componentYaml(binding), 'resiliency.yaml': retries },
        ...(grpc ? { args: ['--app-protocol', 'grpc'] } : {}),
      });
      sidecar = started;
      return started;
    }

    /** /v1.0/healthz answers 204 once the input bindings the app serves are being read. */
    async function ready(of: MechadProcess): Promise<void> {
      await waitFor(async () => ((await fetch(`${of.url}/v1.0/healthz`)).status === 204 ? true : undefined), `${appId} ready`, 30_000);
      expect(of.output()).toMatch(/reading input binding/);
    }

    async function send(data: Order): Promise<void> {
      const client = new DaprClient(clientOptions(sidecar!));
      try {
        await client.binding.send(binding, 'create', data);
      } finally {
        await client.stop();
      }
    }

    beforeAll(async () => {
      queue = await broker.open(run);
      appPort = await freePort();
      const first = await startSidecar();
      server = new DaprServer({
        serverHost: '127.0.0.1',
        serverPort: String(appPort),
        communicationProtocol: mode.protocol,
        clientOptions: clientOptions(first),
        logger: quiet,
      });
      await server.binding.receive(binding, app.handle);
      await server.start();
      await ready(first);
    });

    afterAll(async () => {
      await server?.stop();
      await sidecar?.stop();
      await queue?.close();
    });

    it("receives events produced straight into the broker and sent through the binding's output side", async () => {
      await queue!.produce(JSON.stringify(order('direct-1')));
      await queue!.produce(JSON.stringify(order('direct-2')));
      await send(order('sent-1'));
      for (const id of ['direct-1', 'direct-2', 'sent-1']) {
        const deliveries = await app.taken(id);
        expect(deliveries).toEqual([{ id, data: order(id), taken: true }]);
      }
      const ids = app.deliveries.map((d) => d.id);
      // One queue or partition and one reader: the broker's order is kept (an SQS standard queue promises none).
      expect(broker.ordered ? ids : ids.sort()).toEqual(['direct-1', 'direct-2', 'sent-1']);
    });

    it('delivers an event the app fails again, through retries and the broker, until the app takes it', async () => {
      // Three failures: mechad's two attempts, the broker's redelivery, its first attempt; the next one is taken.
      app.failures.set('flaky', 3);
      await queue!.produce(JSON.stringify(order('flaky')));
      const deliveries = await app.taken('flaky', 30_000);
      expect(deliveries.map((d) => d.taken)).toEqual([false, false, false, true]);
      expect(deliveries.every((d) => JSON.stringify(d.data) === JSON.stringify(order('flaky')))).toBe(true);
      // After its last retry mechad gave the event back to the binding unacknowledged.
      expect(sidecar!.output()).toMatch(/giving the input binding event back to the component unacknowledged/);
      expect(deliveries.length).toBeGreaterThan(attemptsPerPass);

      // Once taken it was acknowledged: an event behind it arrives, and "flaky" does not come back.
      await send(order('after-flaky'));
      await app.taken('after-flaky');
      expect(app.of('flaky')).toHaveLength(4);
      expect(app.redeliveredAfterTaken()).toEqual([]);
    });

    it('loses nothing when the sidecar is SIGKILLed while the app keeps failing an event', async () => {
      app.failures.set('stuck', Number.POSITIVE_INFINITY);
      await queue!.produce(JSON.stringify(order('stuck')));
      // More deliveries than one pass of retries: the broker has handed it over again already.
      await waitFor(() => (app.of('stuck').length > attemptsPerPass ? true : undefined), 'the stuck event redelivered by the broker', 20_000);

      const killed = sidecar!;
      await killed.stop('SIGKILL');
      expect(killed.process.signalCode).toBe('SIGKILL');
      const beforeRestart = app.deliveries.length;
      // Produced while no sidecar reads: it waits in the broker.
      await queue!.produce(JSON.stringify(order('while-down')));
      app.failures.delete('stuck');

      const restarted = await startSidecar();
      await ready(restarted);
      const stuck = await app.taken('stuck', 30_000);
      expect(stuck.filter((d) => d.taken)).toEqual([{ id: 'stuck', data: order('stuck'), taken: true }]);
      await app.taken('while-down', 30_000);
      await send(order('after-restart'));
      await app.taken('after-restart');

      // The new sidecar delivered only what the old one had not had acknowledged.
      const afterRestart = app.deliveries.slice(beforeRestart).map((d) => d.id);
      expect(afterRestart.filter((id) => !['stuck', 'while-down', 'after-restart'].includes(id))).toEqual([]);
      expect(app.redeliveredAfterTaken()).toEqual([]);
      for (const id of ['direct-1', 'direct-2', 'sent-1', 'flaky', 'after-flaky', 'stuck', 'while-down', 'after-restart']) {
        expect(app.of(id).filter((d) => d.taken), id).toHaveLength(1);
      }

      // A clean stop leaves nothing unacknowledged in the broker.
      expect(await restarted.stop()).toBe(0);
      await waitFor(() => queue!.settled(), `${broker.name} to hold nothing unacknowledged`, 15_000).catch(async (error: Error) => {
        throw new Error(`${error.message}; last seen: ${await queue!.describe()}`);
      });
    });
  });
}

for (const broker of bindingBrokers) {
  for (const mode of modes) describeBroker(broker, mode);
}
