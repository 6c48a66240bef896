import type { BindingFeature } from '@mecha/bindings';
import { defineComponent, defineMetadata, MetadataValidationError } from '@mecha/core';
import { CronBinding } from './cron-binding.ts';

const metadata = defineMetadata({
  schedule: {
    type: 'string',
    required: true,
    description:
      'When to fire: 5 cron fields (minute hour day-of-month month day-of-week) or 6 with seconds first, a descriptor (@yearly, @monthly, @weekly, @daily, @hourly) or @every <duration>; optional TZ=<zone> prefix.',
    example: '@every 15m',
  },
});

/** Dapr's `bindings.cron`: schedule-driven input events. */
export const definition = defineComponent<CronBinding, BindingFeature, typeof metadata>({
  type: 'bindings.cron',
  version: 'v1',
  block: 'bindings',
  description: 'Input events on a schedule: cron expressions, descriptors and @every intervals.',
  metadata,
  features: ['INPUT'],
  async create(values, context) {
    try {
      return new CronBinding({ schedule: values.schedule, name: context.name, logger: context.logger });
    } catch (error) {
      // Refused at start, naming the field and the value (the runtime adds the file).
      throw new MetadataValidationError([{ field: 'schedule', message: `"${values.schedule}" is not a valid schedule: ${(error as Error).message}` }]);
    }
  },
});
