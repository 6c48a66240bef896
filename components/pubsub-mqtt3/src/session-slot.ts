import { createHash } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A client id this process holds until `release()`. */
export interface SessionSlot {
  clientId: string;
  slot: number;
  release(): Promise<void>;
}

const MAX_SLOTS = 1000;

/**
 * Takes the lowest slot whose client id no live process on this host holds. The lock is a
 * listening local socket named after the broker and the client id: the kernel frees it
 * when the process ends, even by SIGKILL, so a restarted sidecar takes its predecessor's
 * slot (and with it the broker session holding its messages). Linux uses the abstract
 * socket namespace and Windows a named pipe, neither leaves anything behind; elsewhere a
 * socket file in the temp directory stands in, removed when nothing answers on it.
 */
export async function claimSessionSlot(
  brokerKey: string,
  clientIdFor: (slot: number) => string,
): Promise<SessionSlot> {
  for (let slot = 0; slot < MAX_SLOTS; slot++) {
    const clientId = clientIdFor(slot);
    const server = await listenExclusive(lockName(brokerKey, clientId));
    if (!server) continue;
    let released: Promise<void> | undefined;
    return {
      clientId,
      slot,
      release: () => (released ??= new Promise<void>((resolve) => server.close(() => resolve()))),
    };
  }
  throw new Error(`more than ${MAX_SLOTS} subscribers with the client id ${clientIdFor(0)} (any slot) on this host`);
}

function lockName(brokerKey: string, clientId: string): string {
  const hash = createHash('sha256').update(`${brokerKey}\n${clientId}`).digest('hex').slice(0, 40);
  if (process.platform === 'linux') return `\0mecha-mqtt3-${hash}`;
  if (process.platform === 'win32') return `\\\\?\\pipe\\mecha-mqtt3-${hash}`;
  return join(tmpdir(), `mecha-mqtt3-${hash}.sock`);
}

/** Resolves the listening server, or undefined when a live process holds the name. */
async function listenExclusive(name: string): Promise<Server | undefined> {
  try {
    return await listen(name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
  }
  // Only a socket file can outlive its process: remove it when nobody answers, and try again.
  if (name.startsWith('\0') || name.startsWith('\\\\')) return undefined;
  if (await answers(name)) return undefined;
  await unlink(name).catch(() => {});
  try {
    return await listen(name);
  } catch {
    return undefined;
  }
}

function listen(name: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(name, () => {
      server.off('error', reject);
      // The lock must not keep the process alive.
      server.unref();
      resolve(server);
    });
  });
}

function answers(name: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(name);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
