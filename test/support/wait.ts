/** Waiting in tests for something that happens in another process: polled, with a generous ceiling, never timed. */
import { setTimeout as sleep } from 'node:timers/promises';

type Check<T> = () => T | undefined | null | false | Promise<T | undefined | null | false>;

/** Resolves to `check`'s first truthy value; fails after `ceilingSeconds`, saying what `diagnose` finds. */
export async function waitUntil<T>(what: string, check: Check<T>, ceilingSeconds = 240,
  diagnose: () => Promise<unknown> = async () => ''): Promise<T> {
  const giveUp = Date.now() + ceilingSeconds * 1000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > giveUp) {
      const found = await diagnose();
      throw new Error(`gave up waiting for ${what}${found ? `: ${JSON.stringify(found)}` : ''}`);
    }
    await sleep(100);
  }
}
