import type { StreamPayload } from './internal-messages.ts';

/**
 * Bytes per `StreamPayload` we send. daprd sends 2 KiB chunks and accepts any size up to
 * its message limit (4 MiB by default); larger chunks mean fewer messages for big bodies.
 */
export const STREAM_CHUNK_BYTES = 64 * 1024;

/** A body cut into payloads numbered from 0, as CallLocalStream carries it; none for an empty body. */
export function toPayloads(body: Uint8Array, chunkBytes = STREAM_CHUNK_BYTES): StreamPayload[] {
  const payloads: StreamPayload[] = [];
  for (let offset = 0, seq = 0; offset < body.byteLength; offset += chunkBytes, seq += 1) {
    payloads.push({ data: body.subarray(offset, offset + chunkBytes), seq });
  }
  return payloads;
}

/**
 * Reassembles a body from the payloads of a stream, refusing a sequence number out of
 * order (the protocol numbers chunks from 0 in steps of 1) and a body over `maxBytes`.
 */
export class PayloadCollector {
  readonly #maxBytes: number;
  readonly #chunks: Uint8Array[] = [];
  #bytes = 0;
  #expectedSeq = 0n;

  constructor(maxBytes = Number.POSITIVE_INFINITY) {
    this.#maxBytes = maxBytes;
  }

  /** Adds one payload; throws a PayloadError saying what is wrong with it. */
  add(payload: StreamPayload): void {
    let seq: bigint;
    try {
      seq = BigInt(payload.seq);
    } catch {
      throw new PayloadError('sequence', `invalid sequence number received: ${String(payload.seq)}`);
    }
    if (seq !== this.#expectedSeq) {
      throw new PayloadError('sequence', `invalid sequence number received: ${seq} (expected: ${this.#expectedSeq})`);
    }
    this.#expectedSeq += 1n;
    const data = payload.data ?? new Uint8Array(0);
    this.#bytes += data.byteLength;
    if (this.#bytes > this.#maxBytes) {
      throw new PayloadError('too-large', `the streamed body is larger than the limit of ${this.#maxBytes} bytes`);
    }
    if (data.byteLength > 0) this.#chunks.push(data);
  }

  /** The body so far, in one buffer. */
  body(): Uint8Array {
    return this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
  }
}

export class PayloadError extends Error {
  override readonly name = 'PayloadError';
  readonly reason: 'sequence' | 'too-large';

  constructor(reason: 'sequence' | 'too-large', message: string) {
    super(message);
    this.reason = reason;
  }
}
