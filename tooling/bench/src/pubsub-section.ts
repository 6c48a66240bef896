import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { PubSubSectionName } from './cell-result.ts';
import type { ChildProcesses } from './child-processes.ts';
import { writeResources } from './component-files.ts';
import { listeningPids } from './listening-process.ts';
import { logTail, startMechad, type RunningServer } from './mechad-process.ts';
import { medianBy } from './median-round.ts';
import type { BenchOptions } from './options.ts';
import { brokerComponent, brokerFacts, brokerServer, pubsubName, type BrokerServer } from './pubsub-brokers.ts';
import { sectionBroker, type PubSubCellResult, type PubSubTarget } from './pubsub-cell.ts';
import { startPubSubDriver, type PubSubDriver } from './pubsub-driver-process.ts';
import type { WindowResult } from './pubsub-window.ts';
import { measureCellCpu } from './process-cpu.ts';

type Round = Omit<PubSubCellResult, 'section' | 'broker' | 'target' | 'roundsMessagesPerSecond'>;

const targets: PubSubTarget[] = ['mechad', 'bare'];
/** How long a target may take to deliver its first probe message (Kafka's group join takes seconds). */
const probeTimeoutMs = 60_000;

function alive(process: { child: RunningServer['child']; logFile: string }, who: string): void {
  if (process.child.exitCode !== null || process.child.signalCode !== null) {
    throw new Error(`${who} exited during the run (${process.child.exitCode ?? process.child.signalCode}); its log:\n${logTail(process.logFile)}`);
  }
}

/** The broker's own processes, when it runs on this machine (their CPU is then measured apart). */
function brokerPids(server: BrokerServer): number[] {
  return ['127.0.0.1', 'localhost', '::1'].includes(server.host) ? listeningPids(server.port) : [];
}

/**
 * One broker's section: mechad with the broker's Dapr component and its app (a driver in
 * `mechad` mode), and a driver in `bare` mode with the broker's client library. Each target
 * has its own topic and consumer group on the shared broker, removed at the end. For each
 * in-flight limit the two take turns, round after round, each cell preceded by unmeasured
 * warm-up messages; each cell reports its median round by delivered messages/s.
 */
export async function measurePubSub(
  children: ChildProcesses,
  workDir: string,
  options: BenchOptions,
  section: PubSubSectionName,
  progress: (line: string) => void,
): Promise<PubSubCellResult[]> {
  const broker = sectionBroker(section);
  const server = brokerServer(broker);
  const facts = brokerFacts[broker];
  const run = randomBytes(4).toString('hex');
  const topic = (target: PubSubTarget) => `bench-${run}-${target}`;
  const group = (target: PubSubTarget) => `bench-${run}-${target}-group`;
  const home = path.join(workDir, section);
  mkdirSync(home, { recursive: true });
  const started: { child: RunningServer['child'] }[] = [];
  let mechadChild: RunningServer['child'] | undefined;
  try {
    progress(`${section}: starting the app, mechad with pubsub.${broker === 'mqtt' ? 'mqtt3' : broker} on ${facts.server} at ${server.host}:${server.port}, and the bare ${facts.client} client`);
    const app = await startPubSubDriver(
      children,
      { mode: 'mechad', pubsubName, topic: topic('mechad'), valueChars: options.valueChars },
      path.join(home, 'app.log'),
      'the pub/sub app',
    );
    started.push(app);
    const resourcesDir = writeResources(path.join(home, 'mechad', 'components'), [brokerComponent(server, group('mechad'), Math.max(...options.pubsubInflight))]);
    const mechad = await startMechad(children, { home: path.join(home, 'mechad'), resourcesDir, appPort: app.port!, timeoutMs: 60_000 });
    started.push(mechad);
    mechadChild = mechad.child;
    await app.ask({ type: 'connect', mechadPort: mechad.port }, 'connected');
    const bare = await startPubSubDriver(
      children,
      { mode: 'bare', server, topic: topic('bare'), group: group('bare'), valueChars: options.valueChars },
      path.join(home, 'bare.log'),
      `the bare ${facts.client} client`,
    );
    started.push(bare);
    const drivers: Record<PubSubTarget, PubSubDriver> = { mechad: app, bare };
    for (const target of targets) {
      const probed = await drivers[target].ask({ type: 'probe', timeoutMs: probeTimeoutMs }, 'probed');
      if (!probed.ok) {
        const log = target === 'mechad' ? `\nmechad's log:\n${logTail(mechad.logFile)}` : `\nits log:\n${logTail(bare.logFile)}`;
        throw new Error(`${section}: no ${target === 'mechad' ? 'delivery through mechad' : `delivery with bare ${facts.client}`} within ${probeTimeoutMs / 1000} s (${probed.attempts} probe messages)${log}`);
      }
      progress(`${section}: ${target} delivers (first probe message after ${Math.round(probed.ms)} ms)`);
    }
    const broke = brokerPids(server);
    let cellId = 0;
    const cells: PubSubCellResult[] = [];
    const total = targets.length * options.pubsubInflight.length * options.rounds;
    let done = 0;
    for (const inflight of options.pubsubInflight) {
      const rounds = new Map<PubSubTarget, Round[]>(targets.map((target) => [target, []]));
      for (let round = 1; round <= options.rounds; round++) {
        for (const target of targets) {
          done++;
          progress(
            `${section} [${done}/${total}] ${options.pubsubMessages} messages, ${inflight} in flight → ${target === 'mechad' ? 'mechad' : `bare ${facts.client}`}${options.rounds > 1 ? ` (round ${round}/${options.rounds})` : ''}`,
          );
          const driver = drivers[target];
          const ask = (messages: number) => driver.ask({ type: 'run', cell: ++cellId, messages, inflight, stallMs: options.pubsubStallMs }, 'result');
          if (options.pubsubWarmupMessages > 0) await ask(options.pubsubWarmupMessages);
          const stopCpu = measureCellCpu({ server: target === 'mechad' ? mechad.child.pid : undefined, client: driver.child.pid, database: broke });
          const { result } = await ask(options.pubsubMessages);
          const cpu = stopCpu();
          alive(mechad, 'mechad');
          alive(app, 'the pub/sub app');
          alive(bare, `the bare ${facts.client} client`);
          if (result.lost > 0 || result.publishErrors > 0) {
            progress(
              `${section}: ${target}: ${result.lost} lost, ${result.publishErrors} failed publishes${result.firstPublishError ? ` (first: ${result.firstPublishError})` : ''}`,
            );
          }
          rounds.get(target)!.push(roundResult(result, inflight, cpu));
        }
      }
      for (const target of targets) {
        const all = rounds.get(target)!;
        cells.push({ section, broker, target, ...medianBy(all, (r) => r.messagesPerSecond), roundsMessagesPerSecond: all.map((r) => r.messagesPerSecond) });
      }
    }
    return cells;
  } finally {
    // mechad first, so its consumers leave their groups before the topics go.
    for (const child of started.map((s) => s.child).sort((a, b) => Number(b === mechadChild) - Number(a === mechadChild))) await children.stop(child);
    const cleanUp = startPubSubDriver(
      children,
      { mode: 'clean-up', server, topics: [topic('mechad'), topic('bare')], groups: [group('mechad'), group('bare')] },
      path.join(home, 'clean-up.log'),
      `the clean-up of ${facts.server}`,
    );
    await cleanUp.then(
      (driver) => children.stop(driver.child),
      (error: unknown) => progress(`${section}: could not remove the run's topics and groups from ${facts.server}: ${error instanceof Error ? error.message : String(error)}`),
    );
  }
}

function roundResult(result: WindowResult, inflight: number, cpu: ReturnType<ReturnType<typeof measureCellCpu>>): Round {
  return {
    ...result,
    inflight,
    ...(cpu.clientCpu !== undefined ? { driverCpu: cpu.clientCpu } : {}),
    ...(cpu.serverCpu !== undefined ? { mechadCpu: cpu.serverCpu } : {}),
    ...(cpu.databaseCpu !== undefined ? { brokerCpu: cpu.databaseCpu } : {}),
    ...(cpu.machineCpu !== undefined ? { machineCpu: cpu.machineCpu } : {}),
    ...(cpu.otherCpu !== undefined ? { otherCpu: cpu.otherCpu } : {}),
  };
}
