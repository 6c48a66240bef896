import type { OutputStream } from './cli-io.ts';

/** One-line status events in the style of the dapr CLI (a symbol, then the message). */
export const status = {
  info: (out: OutputStream, message: string) => out.write(`ℹ️  ${message}\n`),
  success: (out: OutputStream, message: string) => out.write(`✅  ${message}\n`),
  warn: (out: OutputStream, message: string) => out.write(`⚠  ${message}\n`),
  failure: (out: OutputStream, message: string) => out.write(`❌  ${message}\n`),
};
