/**
 * A state key as a Firestore document ID. IDs may not contain `/`, be `.` or `..`, or look like
 * `__name__`; those characters are percent-escaped (and `%` itself), so distinct keys stay
 * distinct IDs. The key is also stored in the document, so the ID is never decoded.
 */
export function documentId(key: string): string {
  if (key === '') throw new Error('a state key must not be empty');
  let id = key.replace(/%/g, '%25').replace(/\//g, '%2F');
  if (id === '.' || id === '..') id = id.replace(/\./g, '%2E');
  if (/^__.*__$/.test(id)) id = `%5F${id.slice(1)}`;
  return id;
}
