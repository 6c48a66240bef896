import type { Binding, InputBindingHandler } from '@mecha/bindings';
import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import { Cron } from 'croner';
import { goUtcTimeString } from './go-time-string.ts';
import { parseSchedule, type Schedule } from './schedule.ts';

export interface CronBindingOptions {
  /** A schedule as Dapr's `schedule` metadata writes it: cron fields, a descriptor, or `@every <duration>`. */
  schedule: string;
  /** Named in logs. */
  name?: string;
  logger?: Logger;
}

/**
 * Dapr's `bindings.cron`: an input binding that produces one event each time its schedule
 * fires. An event has no data and the metadata daprd gives it: `timeZone` (`Local`, as daprd
 * reports it) and `readTimeUTC` (the firing time, in Go's time format). A schedule has no
 * redelivery: an event the app never takes (after the block's retries) is dropped with a log.
 * Firings do not wait for each other, so a slow app can have several events in flight.
 */
export class CronBinding implements Binding {
  readonly schedule: Schedule;
  readonly #name: string;
  readonly #logger: Logger;
  #job?: Cron;
  #interval?: NodeJS.Timeout;
  #closed = false;

  /** Throws when the schedule does not parse, saying why. */
  constructor(options: CronBindingOptions) {
    this.schedule = parseSchedule(options.schedule);
    this.#name = options.name ?? 'cron';
    this.#logger = options.logger ?? silentLogger();
  }

  async read(handler: InputBindingHandler): Promise<void> {
    if (this.#closed) throw new Error(`cron binding ${this.#name} is closed`);
    if (this.#job || this.#interval) throw new Error(`cron binding ${this.#name} is already reading`);
    const fire = () => {
      if (this.#closed) return;
      const event = { data: new Uint8Array(0), metadata: { timeZone: 'Local', readTimeUTC: goUtcTimeString(new Date()) } };
      handler(event).catch((error: unknown) => {
        this.#logger.warn({ binding: this.#name, error: errorMessage(error) }, 'a cron event was not taken by the app: dropped (a schedule has no redelivery)');
      });
    };
    const { schedule } = this;
    if (schedule.kind === 'every') {
      this.#interval = setInterval(fire, schedule.intervalMs);
    } else {
      this.#job = new Cron(schedule.pattern, { ...(schedule.timezone ? { timezone: schedule.timezone } : {}), mode: '6-part' }, fire);
    }
  }

  /** The next firing time, or undefined before `read` / after `close`. */
  nextRun(): Date | undefined {
    return this.#job?.nextRun() ?? undefined;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#job?.stop();
    clearInterval(this.#interval);
  }
}
