/**
 * The `objectURL` Dapr's gcp.bucket returns from `create`: `https://storage.googleapis.com/<bucket>/<name>`,
 * the path escaped as Go's net/url escapes a path (letters, digits, `-_.~` and `$&+,/:;=@` stay;
 * every other byte of the UTF-8 name becomes `%XX`).
 */
export function objectUrl(bucket: string, name: string): string {
  return `https://storage.googleapis.com/${escapePath(bucket)}/${escapePath(name)}`;
}

function escapePath(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~$&+,/:;=@]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
