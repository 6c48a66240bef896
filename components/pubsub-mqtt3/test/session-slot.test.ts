import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { subscriberClientId } from '../src/client-id.ts';
import { claimSessionSlot } from '../src/session-slot.ts';
import { ChildScript } from './child-process.ts';

describe('session slots', () => {
  it('takes the lowest free slot, and frees it on release', async () => {
    const base = `slot-test-${randomUUID().slice(0, 8)}`;
    const id = (slot: number) => `${base}-${slot}`;
    const first = await claimSessionSlot('broker:1883', id);
    const second = await claimSessionSlot('broker:1883', id);
    const elsewhere = await claimSessionSlot('other-broker:1883', id);
    expect([first.clientId, second.clientId, elsewhere.clientId]).toEqual([id(0), id(1), id(0)]);
    await first.release();
    await first.release();
    const third = await claimSessionSlot('broker:1883', id);
    expect(third.slot).toBe(0);
    await Promise.all([second.release(), third.release(), elsewhere.release()]);
  });

  it("skips a slot another live process holds, and takes it once that process is killed", async () => {
    const base = `slot-test-${randomUUID().slice(0, 8)}`;
    const child = new ChildScript('slot-holder.ts', ['broker:1883', base]);
    try {
      await child.waitForLine((line) => line === `holding ${base}-0`);
      const mine = await claimSessionSlot('broker:1883', (slot) => `${base}-${slot}`);
      expect(mine.slot).toBe(1);
      await child.kill();
      const after = await claimSessionSlot('broker:1883', (slot) => `${base}-${slot}`);
      expect(after.slot).toBe(0);
      await Promise.all([mine.release(), after.release()]);
    } finally {
      await child.kill();
    }
  });

  it('builds client ids brokers accept, stable for the same group, host, filter and slot', () => {
    const id = subscriberClientId('my app/ä', 'host.example', '$share/my_app/orders/#', 2);
    expect(id).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(id).toMatch(/^my_app__-host\.example-[0-9a-f]{10}-2$/);
    expect(subscriberClientId('my app/ä', 'host.example', '$share/my_app/orders/#', 2)).toBe(id);
    expect(subscriberClientId('my app/ä', 'host.example', '$share/my_app/refunds', 2)).not.toBe(id);
  });
});
