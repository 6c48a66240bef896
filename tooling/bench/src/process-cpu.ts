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

  readonly #tolerant: boolean;

  /** `tolerant`: a process that cannot be read counts as idle rather than making "others" unknown. */
  constructor(pids: (number | undefined)[], tolerant = false) {
    this.#pids = pids;
    this.#tolerant = tolerant;
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
    // A process that could not be read (gone during the interval, or no /proc) leaves "others"
    // unknown, unless it is one of several database processes (see measureCellCpu).
    const known = processes.filter((p): p is number => p !== undefined);
    const ours = known.length === processes.length || (this.#tolerant && known.length > 0) ? known.reduce((a, b) => a + b, 0) : undefined;
    // os.cpus() times are in ms: busy ms over wall ms is the number of cores in use.
    const machineCores = seconds > 0 ? (100 * busy) / (seconds * 1000) : undefined;
    return {
      processes,
      machine: total > 0 ? (100 * busy) / total : undefined,
      others: machineCores === undefined || ours === undefined ? undefined : Math.max(0, machineCores - ours),
    };
  }
}

/** The processes a cell measures, by role; a role without a process is left out. */
export interface CellProcesses {
  /** The process answering the calls (mechad, the minimal server, the echo app; this process for in-process rows). */
  server?: number | undefined;
  /** This process, when it generates load for another one. */
  client?: number | undefined;
  /** Invocation through mechad: the app mechad calls. */
  app?: number | undefined;
  /** The database server's processes (Redis, PostgreSQL's backends), so their work is not counted as "other". */
  database?: readonly number[] | undefined;
}

export interface CellCpu {
  serverCpu?: number;
  clientCpu?: number;
  appCpu?: number;
  databaseCpu?: number;
  machineCpu?: number;
  otherCpu?: number;
}

/** Starts measuring a cell's processes; the returned function stops and reports, each role as % of one core. */
export function measureCellCpu(roles: CellProcesses): () => CellCpu {
  const single = (['server', 'client', 'app'] as const).filter((role) => roles[role] !== undefined);
  const database = roles.database ?? [];
  const meter = new CpuMeter([...single.map((role) => roles[role]), ...database], database.length > 0);
  meter.start();
  return () => {
    const reading = meter.stop();
    const cpu: CellCpu = { machineCpu: reading.machine, otherCpu: reading.others };
    single.forEach((role, i) => {
      const value = reading.processes[i];
      if (value !== undefined) cpu[`${role}Cpu`] = value;
    });
    if (database.length > 0) {
      // A backend that exited during the cell drops out of the sum.
      cpu.databaseCpu = reading.processes.slice(single.length).reduce<number>((sum, value) => sum + (value ?? 0), 0);
    }
    return cpu;
  };
}
