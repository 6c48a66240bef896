import { defineComponent } from '@mecha/core';
import type { StateFeature, StateStore } from '@mecha/state';
import { firestoreMetadata } from './firestore-metadata.ts';

export const definition = defineComponent({
  type: 'state.gcp.firestore',
  version: 'v1',
  block: 'state',
  description: 'A state store in a Firestore collection: ETags by update-time preconditions, TTL, atomic multi-key transactions, emulator support.',
  metadata: firestoreMetadata,
  features: ['ETAG', 'TRANSACTIONAL', 'TTL'] satisfies StateFeature[],
  create: async (metadata, _context): Promise<StateStore> => {
    // The client library loads with the first component of this type, not with the runtime.
    const { FirestoreStateStore } = await import('./firestore-state-store.ts');
    const hasKey = Boolean(metadata.private_key) || Boolean(metadata.client_email);
    if (hasKey && !(metadata.private_key && metadata.client_email)) {
      throw new Error('service-account credentials need both "private_key" and "client_email"');
    }
    return new FirestoreStateStore({
      projectId: metadata.project_id,
      collection: metadata.entity_kind,
      endpoint: metadata.endpoint || metadata.connectionEndpoint,
      emulatorHost: metadata.emulatorHost,
      requestTimeoutMs: metadata.requestTimeout,
      // Keys pasted from a JSON file into YAML often carry literal "\n" sequences.
      ...(metadata.private_key && metadata.client_email
        ? { credentials: { client_email: metadata.client_email, private_key: metadata.private_key.replace(/\\n/g, '\n') } }
        : {}),
    });
  },
});
