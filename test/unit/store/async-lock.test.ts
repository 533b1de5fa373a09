import { describe, expect, it } from 'vitest';
import { AsyncLock } from '../../../src/store/async-lock.js';

describe('AsyncLock', () => {
  it('runs sections one at a time, in order, and a failure does not block the next', async () => {
    const lock = new AsyncLock();
    const log: string[] = [];
    const section = (name: string, ms: number, fail = false) =>
      lock.run(async () => {
        log.push(`${name}:start`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`${name}:end`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([section('a', 20), section('b', 1, true), section('c', 1)]);
    expect(log).toEqual(['a:start', 'a:end', 'b:start', 'b:end', 'c:start', 'c:end']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
