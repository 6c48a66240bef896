import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBroker } from './mqtt-server.ts';

export interface TlsMaterial {
  ca: string;
  clientCert: string;
  clientKey: string;
}

/**
 * A private Mosquitto with a TLS listener that requires a client certificate, on a free
 * loopback port, with a CA, server and client certificates made by openssl for this run.
 */
export class TlsBroker {
  readonly #dir: string;
  readonly #process: ChildProcess;
  readonly port: number;
  readonly material: TlsMaterial;

  private constructor(dir: string, process: ChildProcess, port: number, material: TlsMaterial) {
    this.#dir = dir;
    this.#process = process;
    this.port = port;
    this.material = material;
  }

  static async start(): Promise<TlsBroker> {
    const dir = mkdtempSync(join(tmpdir(), 'mecha-mqtt3-tls-'));
    // Mosquitto started as root reads its files as the mosquitto user.
    chmodSync(dir, 0o755);
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=mecha test CA', '-keyout', 'ca.key', '-out', 'ca.crt');
    for (const [name, cn] of [['server', 'localhost'], ['client', 'mecha client']] as const) {
      ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
      writeFileSync(join(dir, `${name}.ext`), name === 'server' ? 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' : 'extendedKeyUsage=clientAuth\n');
      ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
    }
    for (const file of ['ca.crt', 'server.crt', 'server.key']) chmodSync(join(dir, file), 0o644);
    const port = await freePort();
    writeFileSync(
      join(dir, 'mosquitto.conf'),
      [
        `listener ${port} 127.0.0.1`,
        `cafile ${join(dir, 'ca.crt')}`,
        `certfile ${join(dir, 'server.crt')}`,
        `keyfile ${join(dir, 'server.key')}`,
        'require_certificate true',
        'allow_anonymous true',
        'persistence false',
        'log_dest stderr',
        'log_type error',
        '',
      ].join('\n'),
    );
    let mosquitto: ChildProcess;
    try {
      mosquitto = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch {
      throw new Error('mosquitto is not installed: `bash tooling/services/up.sh mosquitto` installs it');
    }
    const broker = new TlsBroker(dir, mosquitto, port, {
      ca: readFileSync(join(dir, 'ca.crt'), 'utf8'),
      clientCert: readFileSync(join(dir, 'client.crt'), 'utf8'),
      clientKey: readFileSync(join(dir, 'client.key'), 'utf8'),
    });
    const spawnError = new Promise<never>((_, reject) =>
      mosquitto.once('error', () => reject(new Error('mosquitto could not be started: `bash tooling/services/up.sh mosquitto` installs it'))),
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await Promise.race([requireBroker(`mqtt://127.0.0.1:${port}`, 'mosquitto'), spawnError]);
        return broker;
      } catch (error) {
        if (Date.now() > deadline || mosquitto.exitCode !== null) {
          await broker.stop();
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  async stop(): Promise<void> {
    if (this.#process.exitCode === null && this.#process.signalCode === null) {
      const exited = new Promise((resolve) => this.#process.once('exit', resolve));
      this.#process.kill('SIGTERM');
      await exited;
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
