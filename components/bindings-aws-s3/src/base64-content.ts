/**
 * Base64 for `decodeBase64`/`encodeBase64`: standard alphabet with padding, as Dapr's Go
 * decoder reads it. Node's own decoder skips bad characters silently, which would store
 * garbage; this one refuses them (line breaks excepted, as Go's decoder does).
 */
export function decodeBase64Content(data: Uint8Array, what: string): Uint8Array {
  const text = Buffer.from(data).toString('latin1').replace(/[\r\n]/g, '');
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new Error(`${what} is not valid base64 (decodeBase64 is on)`);
  }
  return Buffer.from(text, 'base64');
}

export function encodeBase64Content(data: Uint8Array): Uint8Array {
  return Buffer.from(Buffer.from(data).toString('base64'), 'latin1');
}
