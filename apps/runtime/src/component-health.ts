import { errorMessage } from '@mecha/core';

/** A component that can tell whether its backend answers right now. */
export interface HealthProbe {
  /** The component's resource name. */
  name: string;
  /** Resolves while the backend is reachable; rejects with the reason when it is not. */
  ping(): Promise<void>;
}

export type ComponentHealthStatus = { name: string; status: 'UP' } | { name: string; status: 'DOWN'; message: string };

/**
 * Asks every component with a health probe whether its backend answers, all at once, each
 * bounded by a timeout so a backend that hangs reads as down instead of hanging the caller.
 * `/v1.0/healthz/outbound` and the metadata API report it; `/v1.0/healthz` does not, so an
 * orchestrator does not restart a healthy sidecar because a broker went away.
 */
export class ComponentHealth {
  readonly #probes: HealthProbe[] = [];
  readonly #timeoutMs: number;

  constructor(timeoutMs = 2000) {
    this.#timeoutMs = timeoutMs;
  }

  add(probe: HealthProbe): void {
    this.#probes.push(probe);
  }

  async check(): Promise<ComponentHealthStatus[]> {
    return Promise.all(this.#probes.map((probe) => this.#checkOne(probe)));
  }

  async #checkOne(probe: HealthProbe): Promise<ComponentHealthStatus> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
    });
    try {
      await Promise.race([probe.ping(), timeout]);
      return { name: probe.name, status: 'UP' };
    } catch (error) {
      return { name: probe.name, status: 'DOWN', message: errorMessage(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}
