import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { errorMessage, silentLogger, type Logger } from '@mecha/core';
import type { Binding, BindingRequest, BindingResponse } from '@mecha/bindings';
import { mailBody } from './mail-body.ts';
import { checkPriority, resolveMail, type MailFields } from './mail-fields.ts';

export interface SmtpBindingOptions extends Partial<MailFields> {
  host: string;
  /** Default 587. */
  port?: number;
  user?: string;
  password?: string;
  skipTLSVerify?: boolean;
  logger?: Logger;
}

/** Go's SMTP client sends credentials in the clear only to these hosts. */
const loopbackNames = new Set(['localhost', '127.0.0.1', '::1']);

/**
 * How nodemailer connects, the way Dapr's client (gomail) does: port 465 speaks TLS from the
 * start; other ports upgrade with STARTTLS when the server offers it. Credentials are only
 * sent over TLS, except to a loopback host (Go's rule): with `user` set and a remote host,
 * a server that offers no STARTTLS is refused before any password leaves.
 */
export function transportOptions(options: SmtpBindingOptions): SMTPTransport.Options {
  const port = options.port ?? 587;
  const authenticated = Boolean(options.user);
  return {
    host: options.host,
    port,
    secure: port === 465,
    requireTLS: authenticated && port !== 465 && !loopbackNames.has(options.host.toLowerCase()),
    ...(authenticated ? { auth: { user: options.user!, pass: options.password ?? '' } } : {}),
    ...(options.skipTLSVerify ? { tls: { rejectUnauthorized: false } } : {}),
    // One connection per message, as Dapr dials for each.
    pool: false,
  };
}

/**
 * Dapr's `bindings.smtp` output binding: `create` sends the request's data as an HTML e-mail.
 * Sender, recipients, subject and priority come from the component's metadata, each
 * overridable per request (`emailFrom`, `emailTo`, `emailCC`, `emailBCC`, `subject`, `priority`).
 */
export class SmtpBinding implements Binding {
  readonly operations: readonly string[] = ['create'];
  readonly #transport: Transporter<SMTPTransport.SentMessageInfo>;
  readonly #defaults: MailFields;
  readonly #address: string;
  readonly #logger: Logger;

  constructor(options: SmtpBindingOptions) {
    if (Boolean(options.user) !== Boolean(options.password)) {
      throw new Error(`metadata fields 'user' and 'password' go together: '${options.user ? 'password' : 'user'}' is missing`);
    }
    const port = options.port ?? 587;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`metadata field 'port': must be a port number from 1 to 65535, got ${port}`);
    this.#defaults = {
      emailFrom: options.emailFrom,
      emailTo: options.emailTo,
      emailCC: options.emailCC,
      emailBCC: options.emailBCC,
      subject: options.subject,
      priority: checkPriority(options.priority ?? 3, 'metadata field'),
    };
    this.#address = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
    this.#logger = options.logger ?? silentLogger();
    if (!options.user) this.#logger.warn(`no user and password set: mail goes to ${this.#address} unauthenticated`);
    if (options.skipTLSVerify) this.#logger.warn("skipTLSVerify is on: the SMTP server's certificate is not verified (insecure outside tests)");
    this.#transport = nodemailer.createTransport(transportOptions({ ...options, port }));
  }

  async invoke(request: BindingRequest): Promise<BindingResponse> {
    if (request.operation !== 'create') throw new Error(`unsupported operation '${request.operation}': bindings.smtp supports create`);
    const mail = resolveMail(this.#defaults, request.metadata);
    try {
      await this.#transport.sendMail({
        from: mail.from,
        to: mail.to,
        ...(mail.cc.length > 0 ? { cc: mail.cc } : {}),
        ...(mail.bcc.length > 0 ? { bcc: mail.bcc } : {}),
        subject: mail.subject,
        html: mailBody(request.data),
        headers: { 'X-priority': String(mail.priority) },
      });
    } catch (error) {
      throw new Error(`sending the e-mail through ${this.#address} failed: ${errorMessage(error)}`, { cause: error });
    }
    this.#logger.debug({ to: mail.to.length, cc: mail.cc.length, bcc: mail.bcc.length }, 'e-mail sent');
    return { data: new Uint8Array(), metadata: {} };
  }

  async close(): Promise<void> {
    this.#transport.close();
  }
}
