/**
 * Metadata names every state component accepts whatever its own schema: daprd reads them
 * itself (key prefix, actor store, transactional outbox) rather than the component. The
 * runtime passes them through metadata validation.
 */
export const stateCommonMetadata = [
  'keyPrefix',
  'actorStateStore',
  'outboxPublishPubsub',
  'outboxPublishTopic',
  'outboxPubsub',
  'outboxDiscardWhenMissingState',
] as const;
