import { definition as bindingsAwsKinesis } from '@mecha/bindings-aws-kinesis/definition';
import { definition as bindingsAwsS3 } from '@mecha/bindings-aws-s3/definition';
import { definition as bindingsAwsSqs } from '@mecha/bindings-aws-sqs/definition';
import { definition as bindingsCron } from '@mecha/bindings-cron/definition';
import { definition as bindingsGcpBucket } from '@mecha/bindings-gcp-bucket/definition';
import { definition as bindingsHttp } from '@mecha/bindings-http/definition';
import { definition as bindingsKafka } from '@mecha/bindings-kafka/definition';
import { definition as bindingsMqtt3 } from '@mecha/bindings-mqtt3/definition';
import { definition as bindingsMysql } from '@mecha/bindings-mysql/definition';
import { definition as bindingsPostgres } from '@mecha/bindings-postgresql/definition';
import { definition as bindingsRabbitMq } from '@mecha/bindings-rabbitmq/definition';
import { definition as bindingsRedis } from '@mecha/bindings-redis/definition';
import { definition as bindingsSmtp } from '@mecha/bindings-smtp/definition';
import { ComponentRegistry } from '@mecha/core';
import { definition as configurationPostgres } from '@mecha/configuration-postgresql/definition';
import { definition as configurationRedis } from '@mecha/configuration-redis/definition';
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
    bindingsCron,
    bindingsHttp,
    bindingsPostgres,
    bindingsMysql,
    bindingsSmtp,
    bindingsKafka,
    bindingsRabbitMq,
    bindingsMqtt3,
    bindingsRedis,
    bindingsAwsS3,
    bindingsAwsSqs,
    bindingsAwsKinesis,
    bindingsGcpBucket,
    configurationRedis,
    configurationPostgres,
  );
}
