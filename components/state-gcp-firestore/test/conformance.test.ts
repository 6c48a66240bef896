import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';
import { runStateConformance } from '@mecha/state/conformance';
import { definition } from '../src/index.ts';
import { startPatchedEmulator } from './fixtures/firestore-emulator.ts';

// The stock emulator ignores update-time preconditions and does not commit atomically (see the
// fixture), so the suite runs on the same emulator patched to behave as Firestore documents.
const emulator = await startPatchedEmulator();
afterAll(() => emulator.stop());

runStateConformance({
  name: 'firestore (emulator)',
  definition,
  metadata: { project_id: 'mecha-test', entity_kind: `state-${randomUUID().slice(0, 8)}`, emulatorHost: emulator.host },
});
