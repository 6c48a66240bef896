import { directInvokeError } from './direct-invoke-error.ts';

export interface TargetAppId {
  appId: string;
  /** Undefined when the caller did not name one: the caller's own namespace applies. */
  namespace: string | undefined;
}

/** Splits Dapr's `<appId>` or `<appId>.<namespace>` form; anything with more dots is refused, as daprd does. */
export function parseTargetAppId(target: string): TargetAppId {
  const parts = target.split('.');
  if (target === '' || parts.length > 2 || parts.some((part) => part === '')) {
    throw directInvokeError(`failed to invoke, id: ${target}, err: invalid app id ${JSON.stringify(target)}`);
  }
  return { appId: parts[0]!, namespace: parts[1] };
}
