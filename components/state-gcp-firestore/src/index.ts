export { FirestoreStateStore, maxTransactionWrites, type FirestoreStateStoreOptions } from './firestore-state-store.ts';
export { firestoreMetadata } from './firestore-metadata.ts';
export { documentId } from './document-id.ts';
export { definition } from './definition.ts';
