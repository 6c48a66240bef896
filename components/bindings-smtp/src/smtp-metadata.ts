import { defineMetadata } from '@mecha/core';

/** Field names as Dapr's `bindings.smtp` (components-contrib `bindings/smtp/metadata.yaml`). */
export const smtpMetadata = defineMetadata({
  host: { type: 'string', required: true, description: 'The SMTP server host.', example: 'smtp.example.com' },
  port: {
    type: 'number',
    default: 587,
    description: 'The SMTP server port. `465` connects with TLS at once; any other port upgrades with STARTTLS when the server offers it.',
    example: '587',
  },
  user: { type: 'string', description: 'User name for SMTP authentication; set together with `password`.', example: 'user@example.com' },
  password: { type: 'string', sensitive: true, description: 'Password for SMTP authentication; set together with `user`. Usually a `secretKeyRef`.', example: 'password' },
  skipTLSVerify: { type: 'boolean', default: false, description: "Accept the server's TLS certificate without verifying it. Insecure: for test servers only." },
  emailFrom: { type: 'string', description: 'Sender address. Required here or in each request.', example: 'sender@example.com' },
  emailTo: { type: 'string', description: 'Recipient addresses, separated by `;`. Required here or in each request.', example: 'a@example.com;b@example.com' },
  emailCC: { type: 'string', description: 'Carbon-copy addresses, separated by `;`.', example: 'cc@example.com' },
  emailBCC: { type: 'string', description: 'Blind-copy addresses, separated by `;` (recipients only, never in the headers).', example: 'bcc@example.com' },
  subject: { type: 'string', description: 'Subject. Required here or in each request.', example: 'Hello from Mecha' },
  priority: { type: 'number', default: 3, description: 'The `X-priority` header, from `1` (highest) to `5` (lowest).', example: '1' },
});
