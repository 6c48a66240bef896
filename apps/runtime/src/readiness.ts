/**
 * What `/v1.0/healthz` waits for, as daprd: the components (outbound) first, then the app
 * port and its subscriptions. Targets are named so a not-ready answer says what is missing.
 */
export class Readiness {
  readonly #pending = new Set<string>();
  outboundReady = false;

  constructor(targets: readonly string[]) {
    for (const target of targets) this.#pending.add(target);
  }

  ready(target: string): void {
    this.#pending.delete(target);
    if (target === 'components') this.outboundReady = true;
  }

  notReady(): string[] {
    return [...this.#pending];
  }
}
