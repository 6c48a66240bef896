import { ComponentRegistry } from '@mecha/core';
import { definition as lockRedis } from '@mecha/lock-redis/definition';
import { definition as nameResolutionLocal } from '@mecha/nameresolution-local';
import { definition as pubsubJetStream } from '@mecha/pubsub-jetstream/definition';
import { definition as pubsubKafka } from '@mecha/pubsub-kafka/definition';
import { definition as pubsubMemory } from '@mecha/pubsub-memory';
import { definition as pubsubMqtt3 } from '@mecha/pubsub-mqtt3/definition';
import { definition as pubsubRabbitMq } from '@mecha/pubsub-rabbitmq/definition';
import { definition as pubsubRedis } from '@mecha/pubsub-redis/definition';
import { definition as secretStoreLocalEnv } from '@mecha/secretstores-local-env';
import { definition as secretStoreLocalFile } from '@mecha/secretstores-local-file';
import { definition as stateDynamoDb } from '@mecha/state-aws-dynamodb/definition';
import { definition as stateEtcd, definitionV1 as stateEtcdV1 } from '@mecha/state-etcd';
import { definition as stateFirestore } from '@mecha/state-gcp-firestore/definition';
import { definition as stateMemcached } from '@mecha/state-memcached';
import { definition as stateMemory } from '@mecha/state-memory';
import { definition as stateMysql } from '@mecha/state-mysql/definition';
import { definition as statePostgres } from '@mecha/state-postgresql/definition';
import { definition as stateRedis } from '@mecha/state-redis/definition';
import { definition as stateSqlite } from '@mecha/state-sqlite';

/** Every component `mechad` ships with. A new component package is added here once. */
export function bundledComponents(): ComponentRegistry {
  return new ComponentRegistry().register(
    stateMemory,
    stateSqlite,
    stateRedis,
    statePostgres,
    stateMysql,
    stateDynamoDb,
    stateFirestore,
    stateMemcached,
    stateEtcd,
    stateEtcdV1,
    pubsubMemory,
    pubsubRedis,
    pubsubKafka,
    pubsubRabbitMq,
    pubsubMqtt3,
    pubsubJetStream,
    nameResolutionLocal,
    secretStoreLocalFile,
    secretStoreLocalEnv,
    lockRedis,
  );
}
