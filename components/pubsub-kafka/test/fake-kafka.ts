import type { Admin, ConsumerConfig, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';

type Listener = (event: { payload: unknown }) => void;

/** The few kafkajs consumer calls KafkaSubscription makes, recorded; batches are pushed by the test. */
export class FakeConsumer {
  readonly events = { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash' } as const;
  readonly config: ConsumerConfig;
  readonly paused = new Set<number>();
  readonly seeks: Array<{ partition: number; offset: string }> = [];
  readonly commits: Array<{ partition: number; offset: string }> = [];
  readonly resolved: Array<{ partition: number; offset: string }> = [];
  /** pause, seek, commit and resume calls in order, e.g. `pause 0`, `seek 0@42`. */
  readonly log: string[] = [];
  disconnected = false;
  fromBeginning: boolean | undefined;
  readonly #listeners = new Map<string, Listener[]>();
  readonly #fake: FakeKafka;
  #eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;

  constructor(config: ConsumerConfig, fake: FakeKafka) {
    this.config = config;
    this.#fake = fake;
  }

  on(event: string, listener: Listener): () => void {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
    return () => {};
  }

  async connect(): Promise<void> {
    if (this.#fake.failConnect > 0) {
      this.#fake.failConnect--;
      throw new Error('connect ECONNREFUSED');
    }
  }

  async subscribe(options: { topic: string; fromBeginning?: boolean }): Promise<void> {
    this.fromBeginning = options.fromBeginning;
  }

  async run(config: { eachBatch: (payload: EachBatchPayload) => Promise<void> }): Promise<void> {
    this.#eachBatch = config.eachBatch;
    if (this.#fake.joinOnRun) this.join(this.#fake.assignment);
  }

  /** kafkajs emits GROUP_JOIN synchronously, before its first fetch. */
  join(partitions: number[]): void {
    this.emit(this.events.GROUP_JOIN, {
      memberAssignment: { [this.#fake.topic]: partitions },
    });
  }

  crash(restart: boolean): void {
    this.emit(this.events.CRASH, { error: new Error('broker gone'), groupId: 'g', restart });
  }

  emit(event: string, payload: unknown): void {
    for (const listener of this.#listeners.get(event) ?? []) listener({ payload });
  }

  pause(topics: Array<{ topic: string; partitions?: number[] }>): void {
    for (const { partitions } of topics) {
      for (const partition of partitions ?? this.#fake.assignment) {
        this.paused.add(partition);
        this.log.push(`pause ${partition}`);
      }
    }
  }

  resume(topics: Array<{ topic: string; partitions?: number[] }>): void {
    for (const { partitions } of topics) {
      for (const partition of partitions ?? this.#fake.assignment) {
        this.paused.delete(partition);
        this.log.push(`resume ${partition}`);
      }
    }
  }

  seek(position: { topic: string; partition: number; offset: string }): void {
    this.seeks.push({ partition: position.partition, offset: position.offset });
    this.log.push(`seek ${position.partition}@${position.offset}`);
  }

  async commitOffsets(
    positions: Array<{ topic: string; partition: number; offset: string }>,
  ): Promise<void> {
    for (const { partition, offset } of positions) {
      this.commits.push({ partition, offset });
      this.log.push(`commit ${partition}@${offset}`);
      this.#fake.committed.set(partition, offset);
    }
  }

  async disconnect(): Promise<void> {
    this.disconnected = true;
  }

  /** Hands one fetched batch to the subscription, as kafkajs's runner would. */
  async batch(
    partition: number,
    offsets: number[],
    value: (offset: number) => string = String,
  ): Promise<void> {
    if (!this.#eachBatch) throw new Error('run() was not called');
    const messages: KafkaMessage[] = offsets.map((offset) => ({
      key: null,
      value: Buffer.from(value(offset)),
      timestamp: '1700000000000',
      attributes: 0,
      offset: String(offset),
      headers: {},
    }));
    const pauseFn = () => {
      this.paused.add(partition);
      return () => this.paused.delete(partition);
    };
    await this.#eachBatch({
      batch: {
        topic: this.#fake.topic,
        partition,
        messages,
      } as unknown as EachBatchPayload['batch'],
      resolveOffset: (offset: string) => {
        this.resolved.push({ partition, offset });
      },
      heartbeat: async () => {},
      pause: pauseFn,
      commitOffsetsIfNecessary: async (offsets) => {
        for (const { partitions } of offsets?.topics ?? []) {
          for (const { partition: p, offset } of partitions) {
            this.commits.push({ partition: p, offset });
            this.#fake.committed.set(p, offset);
          }
        }
      },
      uncommittedOffsets: () => ({ topics: [] }),
      isRunning: () => !this.disconnected,
      isStale: () => false,
    });
  }
}

/** A stand-in for a Kafka client and its admin, enough to drive KafkaSubscription without a broker. */
export class FakeKafka {
  readonly topic: string;
  readonly consumers: FakeConsumer[] = [];
  /** Committed offsets of the group, per partition. */
  readonly committed = new Map<number, string>();
  /** End offsets per partition. */
  readonly ends = new Map<number, string>();
  assignment: number[];
  joinOnRun = true;
  failConnect = 0;

  constructor(topic: string, assignment: number[]) {
    this.topic = topic;
    this.assignment = assignment;
  }

  get latest(): FakeConsumer {
    const consumer = this.consumers.at(-1);
    if (!consumer) throw new Error('no consumer was created');
    return consumer;
  }

  asKafka(): Kafka {
    return {
      consumer: (config: ConsumerConfig) => {
        const consumer = new FakeConsumer(config, this);
        this.consumers.push(consumer);
        return consumer;
      },
    } as unknown as Kafka;
  }

  asAdmin(): Admin {
    return {
      fetchOffsets: async () => [
        {
          topic: this.topic,
          partitions: this.assignment.map((partition) => ({
            partition,
            offset: this.committed.get(partition) ?? '-1',
            metadata: null,
          })),
        },
      ],
      fetchTopicOffsets: async () =>
        this.assignment.map((partition) => {
          const high = this.ends.get(partition) ?? '0';
          return { partition, offset: high, high, low: '0' };
        }),
    } as unknown as Admin;
  }
}
