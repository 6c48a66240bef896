import type { BindingFeature } from './binding.ts';

/** Metadata every binding component accepts, whatever its type; the block reads them, components need not. */
export const bindingsCommonFields = ['direction', 'route'] as const;

export interface BindingDirections {
  input: boolean;
  output: boolean;
}

/**
 * Which directions a binding serves: what its definition declares, narrowed by the component's
 * `direction` metadata (`input`, `output` or `input, output`) as daprd reads it: a
 * comma-separated, case-insensitive list; absent means every declared direction.
 */
export function bindingDirections(features: readonly BindingFeature[], direction?: string): BindingDirections {
  const declared = { input: features.includes('INPUT'), output: features.includes('OUTPUT') };
  if (direction === undefined) return declared;
  const listed = new Set(direction.split(',').map((part) => part.trim().toLowerCase()));
  return { input: declared.input && listed.has('input'), output: declared.output && listed.has('output') };
}

/** True when `direction` names input explicitly: daprd then delivers without asking the app first. */
export function isExplicitlyInput(direction?: string): boolean {
  return direction !== undefined && direction.split(',').some((part) => part.trim().toLowerCase() === 'input');
}
