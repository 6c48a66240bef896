import { pubsubSectionNames, sectionNames, type SectionName } from './cell-result.ts';

/** Command-line options of `pnpm bench`. */
export interface BenchOptions {
  /** The parts of the run to make, in the order they run. */
  sections: SectionName[];
  /** Seconds measured per cell (SQLite and invocation sections). */
  duration: number;
  /** Seconds measured per cell in the Redis and PostgreSQL sections (shorter, so the default run stays under 5 minutes). */
  databaseDuration: number;
  /** Times each cell is measured, the targets taking turns; the median round is reported. */
  rounds: number;
  /** Seconds of unmeasured load before each cell. */
  warmup: number;
  /** Concurrent clients per row group. */
  concurrency: readonly number[];
  /** Keys pre-seeded for GET (and rotated over by SET). */
  keys: number;
  /** Length of the JSON string stored as each value. */
  valueChars: number;
  /** mechad starts measured for the start-up figure (the median is reported). */
  starts: number;
  /** Pub/sub sections: messages measured per cell and round. */
  pubsubMessages: number;
  /** Pub/sub sections: unmeasured messages just before each cell (0 when --warmup is 0). */
  pubsubWarmupMessages: number;
  /** Pub/sub sections: messages in flight (published, not yet delivered and confirmed), one row group each. */
  pubsubInflight: readonly number[];
  /** Pub/sub sections: a cell ends early, counting the missing messages as lost, when nothing moved for this long. */
  pubsubStallMs: number;
  /** Where the JSON results go. */
  output: string;
}

export const usage = `Usage: pnpm bench [-- options]

  --only <list>    comma-separated sections to run, in this order whatever the list's:
                   sqlite, invoke, startup, redis, postgres, pubsub-redis, pubsub-kafka,
                   pubsub-rabbitmq, pubsub-mqtt, pubsub-jetstream; \`pubsub\` = the five
                   pub/sub sections (default: all)
  --duration <s>   seconds measured per cell (default 3)
  --rounds <n>     times each cell is measured, targets taking turns; the median round
                   is reported (default 3)
  --warmup <s>     seconds of warm-up load before each cell (default 1); pub/sub cells
                   get 1,000 warm-up messages instead, none when this is 0
  --starts <n>     mechad starts for the start-up median (default 5)
  --messages <n>   pub/sub: messages measured per cell and round (default 10000)
  --inflight <list>
                   pub/sub: comma-separated counts of messages in flight, one row group
                   each (default 64)
  --output <file>  JSON results file (default tooling/bench/results/latest.json)
  --help           this text`;

export class OptionsError extends Error {}

function positive(flag: string, raw: string | undefined, integer: boolean, allowZero = false): number {
  const value = Number(raw);
  const valid = raw !== undefined && raw !== '' && Number.isFinite(value) && (allowZero ? value >= 0 : value > 0) && (!integer || Number.isInteger(value));
  if (!valid) throw new OptionsError(`${flag} needs a ${integer ? 'whole ' : ''}number${allowZero ? '' : ' above 0'}, got ${raw === undefined ? 'nothing' : `"${raw}"`}`);
  return value;
}

/** Parses `--flag value` and `--flag=value`; a bare `--` (what some pnpm versions forward) is skipped. */
export function parseOptions(argv: readonly string[], defaultOutput: string): BenchOptions | 'help' {
  const options: BenchOptions = {
    sections: [...sectionNames],
    duration: 3,
    databaseDuration: 3,
    warmup: 1,
    rounds: 3,
    concurrency: [1, 64],
    keys: 1000,
    valueChars: 1024,
    starts: 5,
    pubsubMessages: 10_000,
    pubsubWarmupMessages: 1000,
    pubsubInflight: [64],
    pubsubStallMs: 15_000,
    output: defaultOutput,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') continue;
    if (arg === '--help' || arg === '-h') return 'help';
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--duration':
        options.duration = positive(flag, value(), false);
        options.databaseDuration = options.duration;
        break;
      case '--only':
        options.sections = parseSections(value());
        break;
      case '--rounds':
        options.rounds = positive(flag, value(), true);
        break;
      case '--warmup':
        options.warmup = positive(flag, value(), false, true);
        break;
      case '--messages':
        options.pubsubMessages = positive(flag, value(), true);
        break;
      case '--inflight':
        options.pubsubInflight = parseInflight(value());
        break;
      case '--starts':
        options.starts = positive(flag, value(), true);
        break;
      case '--output': {
        const file = value();
        if (!file) throw new OptionsError('--output needs a file name');
        options.output = file;
        break;
      }
      default:
        throw new OptionsError(`unknown option ${arg}`);
    }
  }
  if (options.warmup === 0) options.pubsubWarmupMessages = 0;
  return options;
}

/** `--inflight 1,64`: whole numbers above 0, in increasing order, each once. */
function parseInflight(raw: string | undefined): number[] {
  const values = (raw ?? '').split(',').map((part) => part.trim()).filter((part) => part !== '');
  if (values.length === 0) throw new OptionsError('--inflight needs a comma-separated list of whole numbers above 0');
  return [...new Set(values.map((part) => positive('--inflight', part, true)))].sort((a, b) => a - b);
}

/** `--only sqlite,redis,postgres`: known names (postgresql is taken for postgres), kept in the run's own order. */
function parseSections(raw: string | undefined): SectionName[] {
  const names = (raw ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '')
    .flatMap((name) => (name === 'pubsub' ? [...pubsubSectionNames] : [name]))
    .map((name) => (name === 'postgresql' ? 'postgres' : name === 'pubsub-mqtt3' ? 'pubsub-mqtt' : name));
  if (names.length === 0) throw new OptionsError(`--only needs a comma-separated list of: ${sectionNames.join(', ')}`);
  const unknown = names.filter((name) => !(sectionNames as readonly string[]).includes(name));
  if (unknown.length > 0) throw new OptionsError(`--only: unknown section ${unknown.join(', ')} (known: ${sectionNames.join(', ')}, pubsub)`);
  return sectionNames.filter((name) => names.includes(name));
}
