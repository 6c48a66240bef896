import { X509Certificate } from 'node:crypto';

/**
 * Throws unless `pem` holds at least one certificate that parses (Node's TLS context skips bad
 * CA entries silently; Dapr refuses a root CA bundle it cannot read, and so does Mecha).
 */
export function checkCertificates(field: string, pem: string): void {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  const errors: string[] = [];
  for (const block of blocks) {
    try {
      new X509Certificate(block);
      return;
    } catch (error) {
      errors.push((error as Error).message);
    }
  }
  throw new Error(`${field} holds no certificate that can be read${errors.length > 0 ? ` (${errors[0]})` : ''}`);
}
