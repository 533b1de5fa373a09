/** Exit codes of the `skadi` CLI, stable for scripts (listed in the README). */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  jobFailed: 3,
  jobExpired: 4,
  jobCancelled: 5,
  waitTimeout: 6,
  unavailable: 7,
} as const;

/** Exit code for a job's final (or last seen) state. */
export function exitCodeForState(state: string): number {
  switch (state) {
    case 'succeeded':
      return EXIT.ok;
    case 'failed':
      return EXIT.jobFailed;
    case 'expired':
      return EXIT.jobExpired;
    case 'cancelled':
      return EXIT.jobCancelled;
    default:
      return EXIT.waitTimeout;
  }
}
