/**
 * Dapr's lock keys, so mechad and daprd sharing a backend contend for the same locks:
 * `lock||<appId>||<resourceId>` by default (`keyPrefix: appid`), `lock||<store>||<resourceId>`
 * with `name`, `lock||<resourceId>` with `none`, and `lock||<prefix>||<resourceId>` for any
 * other value. Apps that must compete for one lock share a prefix (`none`, or a common name).
 */
export function lockKeyPrefix(keyPrefix: string | undefined, storeName: string, appId: string): string {
  const strategy = (keyPrefix ?? '').toLowerCase() || 'appid';
  if (strategy.includes('||')) throw new Error(`keyPrefix must not contain "||" (got ${JSON.stringify(keyPrefix)})`);
  if (strategy === 'none') return 'lock||';
  if (strategy === 'name') return `lock||${storeName}||`;
  if (strategy === 'appid') return appId ? `lock||${appId}||` : 'lock||';
  return `lock||${strategy}||`;
}
