import { defineComponent } from '@mecha/core';
import type { Binding, BindingFeature } from '@mecha/bindings';
import { smtpMetadata } from './smtp-metadata.ts';

export const definition = defineComponent<Binding, BindingFeature, typeof smtpMetadata>({
  type: 'bindings.smtp',
  version: 'v1',
  block: 'bindings',
  description: 'E-mail as an output binding: create sends the data as an HTML message over SMTP (STARTTLS or TLS).',
  metadata: smtpMetadata,
  features: ['OUTPUT'],
  async create(metadata, context) {
    // The mail library loads with the first component of this type, not with the runtime.
    const { SmtpBinding } = await import('./smtp-binding.ts');
    return new SmtpBinding({ ...metadata, logger: context.logger });
  },
});
