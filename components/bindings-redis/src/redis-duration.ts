/**
 * Dapr's Redis components read a bare integer duration as milliseconds (and a negative one as
 * "no limit"), where the shared metadata parser reads a bare number as seconds. The raw text
 * decides: an integer is milliseconds, anything else keeps the parsed value.
 */
export function redisDurationMs(parsedMs: number | undefined, raw: string | undefined): number | undefined {
  if (parsedMs === undefined) return undefined;
  const text = raw?.trim();
  if (text !== undefined && /^[+-]?\d+$/.test(text)) return Number(text) < 0 ? -1 : Number(text);
  return parsedMs < 0 ? -1 : parsedMs;
}
