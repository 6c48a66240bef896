/**
 * Checks and cleans the method name of a call arriving from another sidecar before it
 * becomes a path on the app, as daprd does: characters that would end or break the path
 * are refused, and `.`/`..` segments are resolved so a call cannot climb out of the
 * method's path. Returns the cleaned name or throws a message for INVALID_ARGUMENT.
 */
export function normalizeMethod(method: string): string {
  if (/[#?\0]/.test(method)) throw new Error(`method contains forbidden character: ${JSON.stringify(method)}`);
  // eslint-disable-next-line no-control-regex
  const control = /[\x01-\x1f\x7f]/.exec(method);
  if (control) throw new Error(`method contains control character at position ${control.index}: ${JSON.stringify(method)}`);
  const rooted = method.startsWith('/');
  const segments: string[] = [];
  for (const segment of method.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return (rooted ? '/' : '') + segments.join('/');
}
