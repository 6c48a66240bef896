import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMechad, type MechadProcess } from './support/mechad-process.ts';

/**
 * bindings.smtp through a real mechad, called by @dapr/dapr over HTTP and gRPC. The mail goes
 * over SMTP to a small receiver on a loopback port that speaks just enough of the protocol to
 * accept messages and keep them (the component's own tests use a full SMTP server).
 */

interface Received {
  from: string;
  to: string[];
  data: string;
}

const received: Received[] = [];

/** Accepts every message: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT. */
const receiver = net.createServer((socket) => {
  let buffered = '';
  let current: Received = { from: '', to: [], data: '' };
  let inData = false;
  const reply = (line: string) => socket.write(`${line}\r\n`);
  reply('220 test-receiver ESMTP');
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let end: number;
    while ((end = buffered.indexOf('\r\n')) >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (inData) {
        if (line === '.') {
          inData = false;
          received.push(current);
          current = { from: '', to: [], data: '' };
          reply('250 queued');
        } else {
          current.data += `${line.startsWith('..') ? line.slice(1) : line}\r\n`;
        }
        continue;
      }
      const address = /<([^>]*)>/.exec(line)?.[1] ?? '';
      switch (line.slice(0, 4).toUpperCase()) {
        case 'EHLO':
        case 'HELO':
          reply('250 test-receiver');
          break;
        case 'MAIL':
          current.from = address;
          reply('250 ok');
          break;
        case 'RCPT':
          current.to.push(address);
          reply('250 ok');
          break;
        case 'DATA':
          inData = true;
          reply('354 go ahead');
          break;
        case 'QUIT':
          reply('221 bye');
          socket.end();
          break;
        default:
          reply('250 ok');
      }
    }
  });
});

let sidecar: MechadProcess;

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as AddressInfo;
  sidecar = await startMechad({
    appId: 'bindings-smtp',
    resources: {
      'mail.yaml': `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: mail
spec:
  type: bindings.smtp
  version: v1
  metadata:
    - name: host
      value: "127.0.0.1"
    - name: port
      value: "${port}"
    - name: emailFrom
      value: "shop@example.com"
    - name: subject
      value: "Default subject"
`,
    },
  });
});

afterAll(async () => {
  await sidecar?.stop();
  await new Promise((resolve) => receiver.close(resolve));
});

const client = (protocol: 'HTTP' | 'gRPC') =>
  new DaprClient({
    daprHost: '127.0.0.1',
    daprPort: String(protocol === 'HTTP' ? sidecar.httpPort : sidecar.grpcPort),
    communicationProtocol: protocol === 'HTTP' ? CommunicationProtocolEnum.HTTP : CommunicationProtocolEnum.GRPC,
    logger: { level: LogLevel.Error },
  });

describe('bindings.smtp through mechad', () => {
  it.each(['HTTP', 'gRPC'] as const)('sends an HTML e-mail with per-request recipients and subject (@dapr/dapr over %s)', async (protocol) => {
    const dapr = client(protocol);
    const before = received.length;
    try {
      await dapr.binding.send('mail', 'create', `<p>Order shipped via ${protocol}</p>`, {
        emailTo: 'a@example.com;b@example.com',
        emailBCC: 'audit@example.com',
        subject: `Shipped ${protocol}`,
        priority: '1',
      });
    } finally {
      await dapr.stop();
    }
    expect(received).toHaveLength(before + 1);
    const mail = received.at(-1)!;
    expect(mail.from).toBe('shop@example.com');
    expect(mail.to).toEqual(['a@example.com', 'b@example.com', 'audit@example.com']);
    expect(mail.data).toMatch(/^To: a@example\.com, b@example\.com\r$/m);
    expect(mail.data).toMatch(new RegExp(`^Subject: Shipped ${protocol}\\r$`, 'm'));
    expect(mail.data).toMatch(/^X-Priority: 1\r$/im);
    expect(mail.data).toMatch(/^Content-Type: text\/html; charset=utf-8\r$/im);
    expect(mail.data).not.toContain('audit@example.com');
    expect(mail.data).toContain(`<p>Order shipped via ${protocol}</p>`);
  });

  it('refuses a request without recipients, and an unknown operation, as daprd answers them', async () => {
    const call = async (body: unknown) => {
      const response = await fetch(`${sidecar.url}/v1.0/bindings/mail`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: response.status, body: await response.json() };
    };
    const before = received.length;
    expect(await call({ operation: 'create', data: '<p>x</p>' })).toEqual({
      status: 500,
      body: { errorCode: 'ERR_INVOKE_OUTPUT_BINDING', message: "error invoking output binding mail: 'emailTo' is set neither in the component metadata nor in the request metadata" },
    });
    expect(await call({ operation: 'get', data: '<p>x</p>' })).toEqual({
      status: 500,
      body: { errorCode: 'ERR_INVOKE_OUTPUT_BINDING', message: 'error invoking output binding mail: binding mail does not support operation get. supported operations:create' },
    });
    expect(received).toHaveLength(before);
  });
});
