/**
 * The HTML body from a request's data. Apps that send a JSON string over gRPC send it quoted
 * (`"<b>hi</b>"`); Dapr unquotes data that parses as a quoted string and takes anything else
 * as it is, and so does Mecha.
 */
export function mailBody(data: Uint8Array): string {
  const text = Buffer.from(data).toString('utf8');
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value === 'string') return value;
    } catch {
      // Not a JSON string after all: sent as it is.
    }
  }
  return text;
}
