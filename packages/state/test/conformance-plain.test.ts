import { runStateConformance } from '../src/conformance/index.ts';
import { plainDefinition } from './fixtures/plain-store.ts';

// A store without ETAG, TTL or TRANSACTIONAL: the kit checks that the service refuses them.
runStateConformance({ name: 'plain map', definition: plainDefinition });
