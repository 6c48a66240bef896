/**
 * Parses a Kubernetes-style resource quantity as daprd's `--max-body-size` takes it
 * (`4Mi`, `16M`, `1Gi`, `4194304`) into bytes.
 */
const suffixes: Record<string, number> = {
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

export function parseQuantity(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kKMGT]i?|)\s*$/.exec(text);
  if (!match || suffixes[match[2]!] === undefined) {
    throw new TypeError(`invalid size "${text}" (expected for example 4Mi, 16M or 1048576)`);
  }
  return Math.floor(Number(match[1]) * suffixes[match[2]!]!);
}
