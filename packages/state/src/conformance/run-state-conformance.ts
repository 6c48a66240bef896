import { bulkCases } from './bulk-cases.ts';
import { crudCases } from './crud-cases.ts';
import { etagCases } from './etag-cases.ts';
import { Harness, vitest, type StateConformanceOptions } from './harness.ts';
import { keyPrefixCases } from './key-prefix-cases.ts';
import { queryCases } from './query-cases.ts';
import { transactionCases } from './transaction-cases.ts';
import { ttlCases } from './ttl-cases.ts';

export type { StateConformanceOptions } from './harness.ts';

/**
 * Registers the state conformance suite (Vitest `describe`/`it` blocks) for one component.
 * Every case runs through StateService over a store built from the definition the way the
 * runtime builds it; features the definition does not declare are checked to be refused.
 * Call it at the top level of a test file.
 */
export function runStateConformance(options: StateConformanceOptions): void {
  const { describe, beforeAll, afterAll } = vitest();
  const harness = new Harness(options);
  describe(`state conformance: ${options.name} (${options.definition.type}, features: ${options.definition.features.join(', ') || 'none'})`, () => {
    beforeAll(() => harness.open());
    afterAll(() => harness.close());
    crudCases(harness);
    bulkCases(harness);
    etagCases(harness);
    ttlCases(harness);
    transactionCases(harness);
    keyPrefixCases(harness);
    queryCases(harness);
  });
}
