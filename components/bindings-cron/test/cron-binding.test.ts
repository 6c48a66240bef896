import { runBindingConformance } from '@mecha/bindings/conformance';
import { MetadataValidationError, silentLogger, validateMetadata } from '@mecha/core';
import { describe, expect, it } from 'vitest';
import { CronBinding, definition } from '../src/index.ts';

const context = { name: 'tick', appId: 'test', logger: silentLogger(), rawMetadata: {} };

runBindingConformance({
  name: 'cron every 100ms',
  definition,
  metadata: { schedule: '@every 100ms' },
  waitTimeoutMs: 10_000,
  input: {
    trigger: async () => undefined, // the schedule fires by itself
    matches: () => true,
    identify: (event) => event.metadata['readTimeUTC'] ?? '',
    redelivers: false,
  },
});

describe('bindings.cron', () => {
  it("fires events with no data and daprd's metadata", async () => {
    const binding = new CronBinding({ schedule: '@every 20ms' });
    const events: { data: Uint8Array; metadata: Record<string, string> }[] = [];
    await binding.read(async (event) => void events.push(event));
    while (events.length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    await binding.close();
    const [event] = events;
    expect(event!.data).toEqual(new Uint8Array(0));
    expect(event!.metadata['timeZone']).toBe('Local');
    expect(event!.metadata['readTimeUTC']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,3})? \+0000 UTC$/);
    expect(Date.parse(event!.metadata['readTimeUTC']!.replace(' ', 'T').replace(' +0000 UTC', 'Z'))).toBeLessThanOrEqual(Date.now());
  });

  it('fires a 6-field cron expression by the second', async () => {
    const binding = new CronBinding({ schedule: '* * * * * *' });
    let fired = 0;
    await binding.read(async () => void fired++);
    expect(binding.nextRun()).toBeInstanceOf(Date);
    while (fired < 1) await new Promise((resolve) => setTimeout(resolve, 20));
    await binding.close();
    expect(binding.nextRun()).toBeUndefined();
  });

  it('stops firing at close, and an event the app refuses is only logged (no redelivery, no crash)', async () => {
    const warnings: string[] = [];
    const logger = { ...silentLogger(), warn: (_fields: unknown, message?: string) => void warnings.push(String(message)) };
    const binding = new CronBinding({ schedule: '@every 10ms', logger: logger as never });
    let fired = 0;
    await binding.read(async () => {
      fired++;
      throw new Error('app down');
    });
    while (warnings.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await binding.close();
    const atClose = fired;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(fired).toBe(atClose);
    expect(warnings[0]).toMatch(/dropped/);
    await expect(binding.read(async () => undefined)).rejects.toThrow(/closed/);
  });

  it('refuses a second read on one instance', async () => {
    const binding = new CronBinding({ schedule: '@hourly' });
    await binding.read(async () => undefined);
    await expect(binding.read(async () => undefined)).rejects.toThrow(/already reading/);
    await binding.close();
  });

  it('refuses a schedule that does not parse at create, naming the field and the value', async () => {
    const values = validateMetadata(definition.metadata, { schedule: '61 * * * *' });
    const error = await definition.create(values, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetadataValidationError);
    expect((error as MetadataValidationError).issues).toEqual([
      { field: 'schedule', message: '"61 * * * *" is not a valid schedule: minute: 61 is above the maximum 59 (in "61")' },
    ]);
    expect(() => validateMetadata(definition.metadata, {})).toThrow(/schedule.*required/);
  });

  it('declares what Dapr declares for it', () => {
    expect(definition.type).toBe('bindings.cron');
    expect(definition.version).toBe('v1');
    expect(definition.features).toEqual(['INPUT']);
    expect(Object.keys(definition.metadata)).toEqual(['schedule']);
  });
});
