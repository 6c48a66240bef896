import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const value = Number(out.stdout?.trim());
    ticksPerSecond = out.status === 0 && value > 0 ? value : 100;
  }
  return ticksPerSecond;
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc on Linux; undefined
 * elsewhere. With the load generator and the server on the same few cores, a server below
 * ~100% of a core while the generator is near it means the generator set the pace.
 */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  if (pid === process.pid) {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1e6;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), counted from field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return undefined;
  }
}

/** Busy and total CPU milliseconds of the whole machine, all cores together. */
function machineTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const sum = times.user + times.nice + times.sys + times.irq + times.idle;
    total += sum;
    busy += sum - times.idle;
  }
  return { busy, total };
}

export interface CpuReading {
  /** Per pid, in the constructor's order, % of one core; undefined where it could not be read. */
  processes: (number | undefined)[];
  /** The whole machine, % of all cores: near 100 means the run was short of CPU. */
  machine: number | undefined;
  /**
   * Everything on the machine but the measured processes, % of one core: other programs, and
   * kernel threads (disk flushes included). High values mean a neighbour disturbed the cell.
   */
  others: number | undefined;
}

/** Measures CPU use of a set of processes, and of the machine, over an interval. */
export class CpuMeter {
  readonly #pids: (number | undefined)[];
  #start: (number | undefined)[] = [];
  #startedAt = 0;
  #machine = { busy: 0, total: 0 };

  constructor(pids: (number | undefined)[]) {
    this.#pids = pids;
  }

  start(): void {
    this.#startedAt = performance.now();
    this.#start = this.#pids.map(processCpuSeconds);
    this.#machine = machineTimes();
  }

  stop(): CpuReading {
    const seconds = (performance.now() - this.#startedAt) / 1000;
    const processes = this.#pids.map((pid, i) => {
      const before = this.#start[i];
      const after = processCpuSeconds(pid);
      return before === undefined || after === undefined || seconds <= 0 ? undefined : (100 * (after - before)) / seconds;
    });
    const machine = machineTimes();
    const total = machine.total - this.#machine.total;
    const busy = machine.busy - this.#machine.busy;
    const ours = processes.every((p) => p !== undefined) ? processes.reduce((a, b) => a + b, 0) : undefined;
    // os.cpus() times are in ms: busy ms over wall ms is the number of cores in use.
    const machineCores = seconds > 0 ? (100 * busy) / (seconds * 1000) : undefined;
    return {
      processes,
      machine: total > 0 ? (100 * busy) / total : undefined,
      others: machineCores === undefined || ours === undefined ? undefined : Math.max(0, machineCores - ours),
    };
  }
}
