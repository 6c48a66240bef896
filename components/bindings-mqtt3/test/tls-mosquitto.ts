import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private Mosquitto on a free loopback port whose only listener is TLS and requires a client
 * certificate; a CA, a server and a client certificate are made with openssl for the run.
 */
export class TlsMosquitto {
  readonly port: number;
  readonly ca: string;
  readonly clientCert: string;
  readonly clientKey: string;
  readonly #dir: string;
  readonly #process: ChildProcess;

  private constructor(dir: string, process: ChildProcess, port: number) {
    this.#dir = dir;
    this.#process = process;
    this.port = port;
    this.ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
    this.clientCert = readFileSync(join(dir, 'client.crt'), 'utf8');
    this.clientKey = readFileSync(join(dir, 'client.key'), 'utf8');
  }

  static async start(): Promise<TlsMosquitto> {
    const dir = mkdtempSync(join(tmpdir(), 'mecha-bindings-mqtt3-tls-'));
    // Mosquitto started as root reads its files as the mosquitto user.
    chmodSync(dir, 0o755);
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=bindings test CA', '-keyout', 'ca.key', '-out', 'ca.crt');
    for (const [name, subject, extension] of [
      ['server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n'],
      ['client', '/CN=bindings client', 'extendedKeyUsage=clientAuth\n'],
    ] as const) {
      openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', `${name}.key`, '-out', `${name}.csr`);
      writeFileSync(join(dir, `${name}.ext`), extension);
      openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
    }
    for (const file of ['ca.crt', 'server.crt', 'server.key']) chmodSync(join(dir, file), 0o644);
    const port = await freePort();
    const config = [`listener ${port} 127.0.0.1`, `cafile ${join(dir, 'ca.crt')}`, `certfile ${join(dir, 'server.crt')}`, `keyfile ${join(dir, 'server.key')}`, 'require_certificate true', 'allow_anonymous true', 'persistence false', ''];
    writeFileSync(join(dir, 'mosquitto.conf'), config.join('\n'));
    const child = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
    const failed = new Promise<never>((_, reject) => child.once('error', () => reject(new Error('mosquitto could not be started: bash tooling/services/up.sh mosquitto installs it'))));
    const server = new TlsMosquitto(dir, child, port);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const listening = await Promise.race([portOpen(port), failed]).catch(async (error: unknown) => {
        await server.stop();
        throw error;
      });
      if (listening) return server;
      if (Date.now() > deadline || child.exitCode !== null) {
        await server.stop();
        throw new Error(`the TLS mosquitto did not start listening on ${port}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(): Promise<void> {
    if (this.#process.exitCode === null) {
      const exited = new Promise((resolve) => this.#process.once('exit', resolve));
      this.#process.kill();
      await exited;
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
