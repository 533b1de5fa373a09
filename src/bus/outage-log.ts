import type { Logger } from '../core/index.js';

/**
 * Logs a failing dependency once when it starts failing and once when it recovers, instead of
 * once per event: an outage of Redis would otherwise write a line per job transition.
 */
export class OutageLog {
  private failures = 0;
  private since = 0;

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
  ) {}

  /** Consecutive failures so far (0 when healthy); drives the backoff. */
  get count(): number {
    return this.failures;
  }

  fail(err: unknown): void {
    this.failures++;
    if (this.failures > 1) return;
    this.since = Date.now();
    this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, `${this.what} failing`);
  }

  ok(): void {
    if (this.failures === 0) return;
    this.logger.info({ failures: this.failures, downMs: Date.now() - this.since }, `${this.what} recovered`);
    this.failures = 0;
  }
}
