export { definition } from './definition.ts';
export { smtpMetadata } from './smtp-metadata.ts';
export { SmtpBinding, transportOptions, type SmtpBindingOptions } from './smtp-binding.ts';
export { resolveMail, type MailFields, type ResolvedMail } from './mail-fields.ts';
export { mailBody } from './mail-body.ts';
