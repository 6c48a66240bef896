import { createRequire } from 'node:module';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

/**
 * Loads a database client library (ioredis, pg) from the folder of the component that uses it,
 * so the bare-client baselines run the very copy mechad's component runs, and the benchmark
 * does not declare the libraries itself.
 */
export function componentClientLibrary(component: 'state-redis' | 'state-postgresql', library: string): unknown {
  return createRequire(path.join(repoRoot, 'components', component, 'package.json'))(library);
}
