import type { ICustomPartitioner } from 'kafkajs';

/** 32-bit FNV-1a of the key's bytes. */
export function fnv1a32(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The partition of a key among `count` partitions: the signed hash modulo the count, made non-negative. */
export function partitionForKey(key: Uint8Array, count: number): number {
  return Math.abs((fnv1a32(key) | 0) % count);
}

/**
 * Partitions the way Dapr's Kafka components do (sarama's hash partitioner): a keyed message
 * goes to FNV-1a(key) modulo the partition count, so daprd and mechad producers put one key
 * on the same partition and its order holds; a message without a key goes to a random partition.
 */
export const keyHashPartitioner: ICustomPartitioner = () => ({ partitionMetadata, message }) => {
  const count = partitionMetadata.length;
  if (message.partition !== undefined && message.partition !== null) return message.partition;
  if (message.key === undefined || message.key === null) return Math.floor(Math.random() * count);
  const key = typeof message.key === 'string' ? Buffer.from(message.key) : message.key;
  return partitionForKey(key, count);
};
