import { runPubSubConformance } from '@mecha/pubsub/conformance';
import { definition } from '../src/index.ts';

runPubSubConformance({ name: 'in-memory', definition, metadata: { redeliveryDelay: '5ms' } });
