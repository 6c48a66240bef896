import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/** Runs `work` with a JetStream manager on its own connection (test set-up and clean-up). */
export async function withAdmin<T>(url: string, work: (jsm: JetStreamManager) => Promise<T>): Promise<T> {
  const nc = await connect({ servers: url });
  try {
    return await work(await jetstreamManager(nc));
  } finally {
    await nc.close();
  }
}

/** Deletes the named streams (and so their consumers); missing ones are fine. */
export async function deleteStreams(url: string, names: Iterable<string>): Promise<void> {
  await withAdmin(url, async (jsm) => {
    for (const name of names) await jsm.streams.delete(name).catch(() => false);
  });
}
