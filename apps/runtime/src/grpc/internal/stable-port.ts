import { createHash } from 'node:crypto';
import { hostname } from 'node:os';

/** First port of the range daprd picks its internal gRPC port from when none is given. */
const firstStablePort = 47300;

/**
 * The internal gRPC port daprd would try first for this app: derived from the app id, the
 * working folder, the user and the host, so a restarted app keeps its port and different
 * projects rarely collide. The caller binds it, or any free port when it is taken.
 */
export function stableInternalPort(appId: string, cwd = process.cwd()): number {
  // Windows has no numeric user id; Go reports -1 there too.
  const uid = process.getuid?.() ?? -1;
  const hash = createHash('sha256').update([appId, cwd, String(uid), hostname()].join('|')).digest();
  return firstStablePort + ((hash[0]! | (hash[1]! << 8)) % (65535 - firstStablePort));
}
