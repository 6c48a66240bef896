export { definition } from './definition.ts';
export { CronBinding, type CronBindingOptions } from './cron-binding.ts';
export { parseSchedule, type Schedule } from './schedule.ts';
