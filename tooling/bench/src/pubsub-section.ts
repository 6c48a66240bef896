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
import { bulkSubscribeSettings, pubsubTargetNames, sectionBroker, type PubSubCellResult, type PubSubTarget } from './pubsub-cell.ts';
import { startPubSubDriver, type PubSubDriver } from './pubsub-driver-process.ts';
import type { WindowResult } from './pubsub-window.ts';
import { measureCellCpu } from './process-cpu.ts';

type Round = Omit<PubSubCellResult, 'section' | 'broker' | 'target' | 'roundsMessagesPerSecond'>;

const targets = pubsubTargetNames;
const mechadTargets = ['mechad', 'mechad-bulk'] as const;
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
 * One broker's section: two mechads with the broker's Dapr component, each with its app (a
 * driver in `mechad` mode: one publishing and subscribing a message per request, one through
 * the bulk APIs), and a driver in `bare` mode with the broker's client library. Each target
 * has its own topic and consumer group on the shared broker, removed at the end. For each
 * in-flight limit the three take turns, round after round, each cell preceded by unmeasured
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
  const mechadChildren = new Set<RunningServer['child']>();
  try {
    progress(`${section}: starting two apps, each with a mechad with pubsub.${broker === 'mqtt' ? 'mqtt3' : broker} on ${facts.server} at ${server.host}:${server.port}, and the bare ${facts.client} client`);
    const window = Math.max(...options.pubsubInflight);
    // An app and a mechad for each way of using the API, each with its own topic and group.
    const apps = {} as Record<(typeof mechadTargets)[number], PubSubDriver>;
    const mechads = {} as Record<(typeof mechadTargets)[number], RunningServer>;
    for (const target of mechadTargets) {
      const app = await startPubSubDriver(
        children,
        {
          mode: 'mechad',
          pubsubName,
          topic: topic(target),
          valueChars: options.valueChars,
          ...(target === 'mechad-bulk' ? { bulk: bulkSubscribeSettings(window) } : {}),
        },
        path.join(home, `${target}-app.log`),
        `the pub/sub app (${target})`,
      );
      started.push(app);
      apps[target] = app;
      const resourcesDir = writeResources(path.join(home, target, 'components'), [brokerComponent(server, group(target), window)]);
      const mechad = await startMechad(children, { home: path.join(home, target), resourcesDir, appPort: app.port!, timeoutMs: 60_000 });
      started.push(mechad);
      mechadChildren.add(mechad.child);
      mechads[target] = mechad;
      await app.ask({ type: 'connect', mechadPort: mechad.port }, 'connected');
    }
    const bare = await startPubSubDriver(
      children,
      { mode: 'bare', server, topic: topic('bare'), group: group('bare'), valueChars: options.valueChars },
      path.join(home, 'bare.log'),
      `the bare ${facts.client} client`,
    );
    started.push(bare);
    const drivers: Record<PubSubTarget, PubSubDriver> = { ...apps, bare };
    const isMechad = (target: PubSubTarget): target is (typeof mechadTargets)[number] => target !== 'bare';
    for (const target of targets) {
      const probed = await drivers[target].ask({ type: 'probe', timeoutMs: probeTimeoutMs }, 'probed');
      if (!probed.ok) {
        const log = isMechad(target) ? `\nmechad's log:\n${logTail(mechads[target].logFile)}` : `\nits log:\n${logTail(bare.logFile)}`;
        throw new Error(`${section}: no ${isMechad(target) ? `delivery through mechad (${target})` : `delivery with bare ${facts.client}`} within ${probeTimeoutMs / 1000} s (${probed.attempts} probe messages)${log}`);
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
            `${section} [${done}/${total}] ${options.pubsubMessages} messages, ${inflight} in flight → ${isMechad(target) ? target : `bare ${facts.client}`}${options.rounds > 1 ? ` (round ${round}/${options.rounds})` : ''}`,
          );
          const driver = drivers[target];
          const ask = (messages: number) => driver.ask({ type: 'run', cell: ++cellId, messages, inflight, stallMs: options.pubsubStallMs }, 'result');
          if (options.pubsubWarmupMessages > 0) await ask(options.pubsubWarmupMessages);
          const stopCpu = measureCellCpu({ server: isMechad(target) ? mechads[target].child.pid : undefined, client: driver.child.pid, database: broke });
          const { result } = await ask(options.pubsubMessages);
          const cpu = stopCpu();
          for (const name of mechadTargets) {
            alive(mechads[name], `mechad (${name})`);
            alive(apps[name], `the pub/sub app (${name})`);
          }
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
    for (const child of started.map((s) => s.child).sort((a, b) => Number(mechadChildren.has(b)) - Number(mechadChildren.has(a)))) await children.stop(child);
    const cleanUp = startPubSubDriver(
      children,
      { mode: 'clean-up', server, topics: targets.map(topic), groups: targets.map(group) },
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
