import { runBindingConformance } from '@mecha/bindings/conformance';
import { afterAll, expect } from 'vitest';
import { definition } from '../src/definition.ts';
import { parseMail, startReceiver } from './fixtures/smtp-receiver.ts';

// A real SMTP server on a free loopback port receives what the binding sends.
const receiver = await startReceiver({ startTls: false });
afterAll(() => receiver.close());

runBindingConformance({
  name: 'smtp (smtp-server on loopback)',
  definition,
  metadata: { host: receiver.host, port: String(receiver.port), emailFrom: 'app@example.com', emailTo: 'ops@example.com', subject: 'conformance' },
  output: {
    operations: ['create'],
    async roundTrip({ unique, invoke }) {
      const response = await invoke('create', `<p>${unique}</p>`, { subject: `order ${unique}` });
      expect(response.data).toHaveLength(0);
      const mail = receiver.received.find((m) => m.raw.includes(unique));
      expect(mail, 'the receiving SMTP server got the message').toBeDefined();
      const { headers, body } = parseMail(mail!.raw);
      expect(headers.get('subject')).toBe(`order ${unique}`);
      expect(body).toBe(`<p>${unique}</p>`);
      expect(mail!.recipients).toEqual(['ops@example.com']);
    },
  },
});
