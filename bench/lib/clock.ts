/**
 * One clock for every timestamp the benchmark compares, in every process: milliseconds (with
 * microsecond precision) on `process.hrtime`, which libuv reads from CLOCK_MONOTONIC on Linux.
 * That clock is system-wide, so a time taken in the load process and one taken in the server
 * process subtract meaningfully (run-time check: `checkClocks` in load-process.ts). It is not
 * wall-clock time: Date.now() has millisecond resolution and can be slewed by NTP, and
 * performance.timeOrigin is per process.
 */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A time that crossed IPC: NaN ("did not happen") arrives as null, since IPC messages are JSON. */
export function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
