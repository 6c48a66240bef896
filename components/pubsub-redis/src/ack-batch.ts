/**
 * The acknowledgements of one subscription that fall due while the event loop handles one
 * round of I/O (handlers resolved by a burst of answers from the app), sent as one
 * `XACK stream group id…` right after it (`setImmediate`) instead of one command each. Each
 * caller learns the outcome of the command that carried its id, and retries on its own.
 */
export class AckBatch {
  readonly #send: (ids: string[]) => Promise<unknown>;
  #waiting: Array<{ id: string; resolve: () => void; reject: (error: unknown) => void }> = [];

  /** `send` acknowledges the given ids in one command. */
  constructor(send: (ids: string[]) => Promise<unknown>) {
    this.#send = send;
  }

  /** Resolves once the XACK carrying `id` succeeded; rejects with its error. */
  ack(id: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ id, resolve, reject });
      if (this.#waiting.length === 1) setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    const batch = this.#waiting;
    this.#waiting = [];
    if (batch.length === 0) return;
    let sent: Promise<unknown>;
    try {
      sent = this.#send(batch.map((item) => item.id));
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      () => {
        for (const item of batch) item.resolve();
      },
      (error: unknown) => {
        for (const item of batch) item.reject(error);
      },
    );
  }
}
