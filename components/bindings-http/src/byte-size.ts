/** Multipliers of the suffixes a Kubernetes resource quantity may carry (Dapr's `ByteSize` is one). */
const suffixes: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * A byte size as Dapr's metadata writes it: a number of bytes (`100`), or a quantity with a
 * decimal (`1k`, `10M`) or binary (`10Ki`, `100Mi`) suffix, or an exponent (`1e6`). Fractions
 * round up to a whole byte, as Kubernetes quantities do. Throws on anything else.
 */
export function parseByteSize(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new Error(`invalid size ${input}`);
    return Math.ceil(input);
  }
  const match = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E))?$/.exec(input.trim());
  if (!match) throw new Error(`invalid size "${input}" (expected bytes, or a quantity such as 1k, 10Ki, 100Mi)`);
  const value = Number(match[1]) * (match[2] ? 10 ** Number(match[2].slice(1)) : suffixes[match[3] ?? '']!);
  if (!Number.isFinite(value)) throw new Error(`invalid size "${input}" (too large)`);
  return Math.ceil(value);
}
