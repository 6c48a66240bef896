/** daprd's names for a binding's directions in the metadata API. */
const bindingCapabilities: Record<string, string> = { INPUT: 'INPUT_BINDING', OUTPUT: 'OUTPUT_BINDING' };

/**
 * The capability list `GET /v1.0/metadata` shows for a component. daprd derives ACTOR for a
 * state store that has both ETags and transactions, so Mecha does the same.
 */
export function capabilitiesOf(block: string, features: readonly string[]): string[] {
  if (block === 'bindings') return features.map((feature) => bindingCapabilities[feature] ?? feature);
  const capabilities = [...features];
  if (block === 'state' && features.includes('ETAG') && features.includes('TRANSACTIONAL') && !capabilities.includes('ACTOR')) {
    capabilities.push('ACTOR');
  }
  return capabilities;
}
