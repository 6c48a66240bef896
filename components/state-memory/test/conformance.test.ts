import { runStateConformance } from '@mecha/state/conformance';
import { definition } from '../src/index.ts';

runStateConformance({ name: 'in-memory', definition, invalidEtag: 'not-a-version' });
