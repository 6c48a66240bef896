import { afterEach, describe, expect, it } from 'vitest';
import { SmtpBinding, transportOptions } from '../src/smtp-binding.ts';
import { parseMail, startReceiver, type SmtpReceiver } from './fixtures/smtp-receiver.ts';

const receivers: SmtpReceiver[] = [];
async function receiver(options: Parameters<typeof startReceiver>[0] = {}): Promise<SmtpReceiver> {
  const started = await startReceiver(options);
  receivers.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

const data = (text: string) => Buffer.from(text, 'utf8');
const create = (binding: SmtpBinding, body: string, metadata: Record<string, string> = {}) => binding.invoke({ operation: 'create', data: data(body), metadata });

describe('SmtpBinding against a real SMTP server', () => {
  it('sends an HTML message with From, To, Cc, Subject and X-priority headers; Bcc only as a recipient', async () => {
    const server = await receiver({ startTls: false });
    const binding = new SmtpBinding({
      host: server.host,
      port: server.port,
      emailFrom: 'shop@example.com',
      emailTo: 'a@example.com; b@example.com',
      emailCC: 'c@example.com',
      emailBCC: 'hidden@example.com',
      subject: 'Your order',
      priority: 1,
    });
    try {
      const response = await create(binding, '<h1>Thanks</h1><p>Order <b>42</b> ships today.</p>');
      expect(response).toEqual({ data: new Uint8Array(), metadata: {} });
      expect(server.received).toHaveLength(1);
      const mail = server.received[0]!;
      expect(mail.from).toBe('shop@example.com');
      expect(mail.recipients).toEqual(['a@example.com', 'b@example.com', 'c@example.com', 'hidden@example.com']);
      const { headers, body, contentType } = parseMail(mail.raw);
      expect(headers.get('from')).toBe('shop@example.com');
      expect(headers.get('to')).toBe('a@example.com, b@example.com');
      expect(headers.get('cc')).toBe('c@example.com');
      expect(headers.has('bcc')).toBe(false);
      expect(mail.raw).not.toContain('hidden@example.com');
      expect(headers.get('subject')).toBe('Your order');
      expect(headers.get('x-priority')).toBe('1');
      expect(contentType).toMatch(/^text\/html; charset=utf-8$/i);
      expect(body).toBe('<h1>Thanks</h1><p>Order <b>42</b> ships today.</p>');
    } finally {
      await binding.close();
    }
  });

  it('carries unicode in the subject and body, and unquotes data sent as a JSON string', async () => {
    const server = await receiver({ startTls: false });
    const binding = new SmtpBinding({ host: server.host, port: server.port, emailFrom: 'a@example.com', emailTo: 'b@example.com', subject: 'Grüße ✓ 😀 — 世界' });
    try {
      await create(binding, '<p>Grüße, 世界 ✓ 😀 = 100% "ok"</p>');
      await create(binding, JSON.stringify('<p>quoted "json" string</p>'));
      await create(binding, '"not" closed as one string"');
      const [first, second, third] = server.received.map((m) => parseMail(m.raw));
      expect(first!.headers.get('subject')).toBe('Grüße ✓ 😀 — 世界');
      expect(first!.body).toBe('<p>Grüße, 世界 ✓ 😀 = 100% "ok"</p>');
      expect(second!.body).toBe('<p>quoted "json" string</p>');
      expect(third!.body).toBe('"not" closed as one string"');
    } finally {
      await binding.close();
    }
  });

  it('lets a request override sender, recipients, subject and priority for that request only', async () => {
    const server = await receiver({ startTls: false });
    const binding = new SmtpBinding({ host: server.host, port: server.port, emailFrom: 'default@example.com', emailTo: 'default-to@example.com', subject: 'default' });
    try {
      await create(binding, 'one', { emailFrom: 'other@example.com', emailTo: 'x@example.com;y@example.com', emailCC: 'cc@example.com', emailBCC: 'bcc@example.com', subject: 'override', priority: '5' });
      // Empty values do not override, as in Dapr.
      await create(binding, 'two', { emailTo: '', subject: '' });
      const [first, second] = server.received;
      expect(first!.from).toBe('other@example.com');
      expect(first!.recipients).toEqual(['x@example.com', 'y@example.com', 'cc@example.com', 'bcc@example.com']);
      expect(parseMail(first!.raw).headers.get('subject')).toBe('override');
      expect(parseMail(first!.raw).headers.get('x-priority')).toBe('5');
      // The next request sees the component's own values again (Dapr would keep the override).
      expect(second!.from).toBe('default@example.com');
      expect(second!.recipients).toEqual(['default-to@example.com']);
      expect(parseMail(second!.raw).headers.get('subject')).toBe('default');
      expect(parseMail(second!.raw).headers.get('x-priority')).toBe('3');
    } finally {
      await binding.close();
    }
  });

  it('refuses a request missing a required field or with a bad priority, sending nothing', async () => {
    const server = await receiver({ startTls: false });
    const binding = new SmtpBinding({ host: server.host, port: server.port });
    try {
      await expect(create(binding, 'x', { emailTo: 'b@example.com', subject: 's' })).rejects.toThrow("'emailFrom' is set neither in the component metadata nor in the request metadata");
      await expect(create(binding, 'x', { emailFrom: 'a@example.com', subject: 's' })).rejects.toThrow("'emailTo' is set neither");
      await expect(create(binding, 'x', { emailFrom: 'a@example.com', emailTo: 'b@example.com' })).rejects.toThrow("'subject' is set neither");
      const complete = { emailFrom: 'a@example.com', emailTo: 'b@example.com', subject: 's' };
      await expect(create(binding, 'x', { ...complete, priority: '0' })).rejects.toThrow("request metadata 'priority': must be a whole number from 1 (highest) to 5 (lowest), got 0");
      await expect(create(binding, 'x', { ...complete, priority: 'high' })).rejects.toThrow("request metadata 'priority'");
      await expect(binding.invoke({ operation: 'get', data: data('x'), metadata: complete })).rejects.toThrow("unsupported operation 'get'");
      expect(server.received).toHaveLength(0);
    } finally {
      await binding.close();
    }
  });

  it("upgrades with STARTTLS when offered, and refuses the server's self-signed certificate unless skipTLSVerify", async () => {
    const server = await receiver({ startTls: true });
    const mail = { emailFrom: 'a@example.com', emailTo: 'b@example.com', subject: 'tls' };
    const strict = new SmtpBinding({ host: server.host, port: server.port, ...mail });
    const lenient = new SmtpBinding({ host: server.host, port: server.port, skipTLSVerify: true, ...mail });
    try {
      await expect(create(strict, 'strict')).rejects.toThrow(new RegExp(`^sending the e-mail through 127\\.0\\.0\\.1:${server.port} failed: .*certificate`));
      expect(server.received).toHaveLength(0);
      await create(lenient, 'lenient');
      expect(server.received).toHaveLength(1);
      expect(server.received[0]!.secure).toBe(true);
    } finally {
      await strict.close();
      await lenient.close();
    }
  });

  it('authenticates with user and password, and reports a refused login without the password', async () => {
    const server = await receiver({ startTls: false, credentials: { user: 'mailer', password: 'right-Pa55' } });
    const mail = { emailFrom: 'a@example.com', emailTo: 'b@example.com', subject: 'auth' };
    const good = new SmtpBinding({ host: server.host, port: server.port, user: 'mailer', password: 'right-Pa55', ...mail });
    const bad = new SmtpBinding({ host: server.host, port: server.port, user: 'mailer', password: 'Wr0ng-Secret', ...mail });
    const anonymous = new SmtpBinding({ host: server.host, port: server.port, ...mail });
    try {
      await create(good, 'hello');
      expect(server.received.map((m) => m.user)).toEqual(['mailer']);
      const error = await create(bad, 'hello').then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).toMatch(/^sending the e-mail through 127\.0\.0\.1:\d+ failed: .*Invalid/);
      expect(error?.message).not.toContain('Wr0ng-Secret');
      await expect(create(anonymous, 'hello')).rejects.toThrow(/failed: .*530/);
      expect(server.received).toHaveLength(1);
    } finally {
      await Promise.all([good.close(), bad.close(), anonymous.close()]);
    }
  });

  it('never sends credentials in plain text to a host that is not loopback by name', async () => {
    // 127.0.0.2 reaches this machine, but by Go's rule it is not "localhost": TLS is required before AUTH.
    const server = await receiver({ host: '127.0.0.2', startTls: false, credentials: { user: 'mailer', password: 'right-Pa55' } });
    const binding = new SmtpBinding({ host: server.host, port: server.port, user: 'mailer', password: 'right-Pa55', emailFrom: 'a@example.com', emailTo: 'b@example.com', subject: 's' });
    try {
      await expect(create(binding, 'x')).rejects.toThrow(/STARTTLS/);
      expect(server.authAttempts).toEqual([]);
      expect(server.received).toHaveLength(0);
    } finally {
      await binding.close();
    }
  });

  it('sends concurrent messages, each on its own connection', async () => {
    const server = await receiver({ startTls: false });
    const binding = new SmtpBinding({ host: server.host, port: server.port, emailFrom: 'a@example.com', emailTo: 'b@example.com', subject: 'bulk' });
    try {
      await Promise.all(Array.from({ length: 20 }, (_, i) => create(binding, `message ${i}`, { subject: `n${i}` })));
      expect(server.received.map((m) => parseMail(m.raw).headers.get('subject')).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `n${i}`).sort());
    } finally {
      await binding.close();
    }
  });

  it('reports a server that cannot be reached, naming it', async () => {
    const server = await receiver({ startTls: false });
    const { port } = server;
    await server.close();
    receivers.length = 0;
    const binding = new SmtpBinding({ host: '127.0.0.1', port, emailFrom: 'a@example.com', emailTo: 'b@example.com', subject: 's' });
    try {
      await expect(create(binding, 'x')).rejects.toThrow(`sending the e-mail through 127.0.0.1:${port} failed: `);
    } finally {
      await binding.close();
    }
  });
});

describe('SmtpBinding settings', () => {
  it('refuses user without password (and the reverse), a bad port and a bad priority, naming the field', () => {
    expect(() => new SmtpBinding({ host: 'h', user: 'u' })).toThrow("metadata fields 'user' and 'password' go together: 'password' is missing");
    expect(() => new SmtpBinding({ host: 'h', password: 'p' })).toThrow("'user' is missing");
    expect(() => new SmtpBinding({ host: 'h', port: 70000 })).toThrow("metadata field 'port'");
    expect(() => new SmtpBinding({ host: 'h', priority: 6 })).toThrow("metadata field 'priority': must be a whole number from 1 (highest) to 5 (lowest), got 6");
    expect(() => new SmtpBinding({ host: 'h', priority: 2.5 })).toThrow("metadata field 'priority'");
  });

  it("connects as Dapr's client does: TLS at once on 465, STARTTLS elsewhere, TLS required before a remote login", () => {
    expect(transportOptions({ host: 'smtp.example.com', port: 465, user: 'u', password: 'p' })).toMatchObject({ secure: true, requireTLS: false, auth: { user: 'u', pass: 'p' } });
    expect(transportOptions({ host: 'smtp.example.com', port: 587, user: 'u', password: 'p' })).toMatchObject({ secure: false, requireTLS: true });
    expect(transportOptions({ host: 'localhost', port: 25, user: 'u', password: 'p' })).toMatchObject({ secure: false, requireTLS: false });
    expect(transportOptions({ host: 'smtp.example.com' })).toMatchObject({ port: 587, secure: false, requireTLS: false });
    expect(transportOptions({ host: 'smtp.example.com' }).auth).toBeUndefined();
    expect(transportOptions({ host: 'h', skipTLSVerify: true }).tls).toEqual({ rejectUnauthorized: false });
  });
});
