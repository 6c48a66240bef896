/** One level of a PostgreSQL array: element texts (NULL as null) or nested levels. */
export type ArrayLiteral = (string | null | ArrayLiteral)[];

/**
 * Parses PostgreSQL's text output of an array (`{1,2,NULL}`, `{{a,b},{"c d",e}}`,
 * `[0:1]={x,y}`): quoted elements keep their text (`"NULL"` is the string NULL), unquoted
 * `NULL` is SQL NULL. Elements are separated by commas (every built-in type but `box`).
 */
export function parseArrayLiteral(text: string): ArrayLiteral {
  let at = 0;
  // Arrays whose lower bound is not 1 carry their dimensions first.
  if (text[0] === '[') {
    const equals = text.indexOf('=');
    if (equals < 0) throw new Error('malformed array literal');
    at = equals + 1;
  }
  const fail = () => new Error('malformed array literal');
  const level = (): ArrayLiteral => {
    if (text[at] !== '{') throw fail();
    at++;
    const items: ArrayLiteral = [];
    if (text[at] === '}') {
      at++;
      return items;
    }
    for (;;) {
      if (text[at] === '{') {
        items.push(level());
      } else if (text[at] === '"') {
        at++;
        let value = '';
        while (text[at] !== '"') {
          if (at >= text.length) throw fail();
          if (text[at] === '\\') at++;
          value += text[at++]!;
        }
        at++;
        items.push(value);
      } else {
        const start = at;
        while (at < text.length && text[at] !== ',' && text[at] !== '}') at++;
        const value = text.slice(start, at).trim();
        items.push(value === 'NULL' ? null : value);
      }
      if (text[at] === ',') {
        at++;
        continue;
      }
      if (text[at] === '}') {
        at++;
        return items;
      }
      throw fail();
    }
  };
  const result = level();
  if (at !== text.length) throw fail();
  return result;
}
