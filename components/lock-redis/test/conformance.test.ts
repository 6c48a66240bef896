import { runLockConformance } from '@mecha/lock/conformance';
import { definition } from '../src/definition.ts';

const redisHost = process.env['MECHA_TEST_REDIS'] || '127.0.0.1:6379';

runLockConformance({ name: 'redis', definition, metadata: { redisHost } });
