import type { JobAssignment, ResultRequest } from '../core/agent-protocol.js';
import type { Logger } from '../core/logger.js';
import { AgentApiError } from './agent-api-error.js';
import type { AgentClient } from './agent-client.js';
import type { AgentConfig } from './agent-config.js';
import { runJob, type JobSpec, type SpawnFn } from './job-runner.js';
import { createOutputSender, type OutputSender } from './output-sender.js';
import { parseJobMessage } from './parse-job-message.js';
import type { JobGuard } from './job-guard.js';
import { compileRedactions, createStreamRedactor, redactionHoldback } from '../core/redaction.js';
import { withRetry, type RetryContext, type RetryPolicy } from './with-retry.js';

export interface JobSessionContext {
  client: AgentClient;
  config: AgentConfig;
  logger: Logger;
  retry: RetryPolicy;
  /** Aborted at the end of a shutdown: stop retrying requests for this job. */
  giveUp: AbortSignal;
  killGraceMs: number;
  spawn?: SpawnFn;
  /** Signature, name, expiry and replay checks: nothing is spawned unless it admits the job. */
  guard: JobGuard;
  /** The server accepted the ack: the job is running and belongs in the poll's `running`. */
  onAcked(jobId: string): void;
}

/** One assignment in progress: ack → run → output → result. */
export interface JobSession {
  readonly id: string;
  /** Kills the job (SIGTERM, then SIGKILL); `reason` becomes the result's error. */
  cancel(reason: string): void;
  /** Resolves when the job is finished and reported (or given up); never rejects. */
  readonly done: Promise<void>;
}

function jobSpec(job: JobAssignment, spec: JobSpec): JobSpec {
  // The server may shorten the handler's timeout (job timeout), never lengthen it.
  const serverTimeout = job.timeoutMs > 0 ? job.timeoutMs : Infinity;
  return {
    ...spec,
    timeoutMs: Math.min(spec.timeoutMs, serverTimeout),
    env: { ...spec.env, SKADI_JOB_ID: job.id, SKADI_JOB_REQUESTER: job.requester },
  };
}

/**
 * Starts working on one assignment. The job runs only after the server accepted the ack
 * (a 409 there means another delivery owns it), and only what the agent's own config allows.
 */
export function startJobSession(job: JobAssignment, ctx: JobSessionContext): JobSession {
  const logger = ctx.logger.child({ jobId: job.id });
  const kill = new AbortController();
  const retry: RetryContext = { ...ctx.retry, logger, signal: ctx.giveUp };

  const report = async (result: ResultRequest, sender?: OutputSender): Promise<void> => {
    for (let resent = false; ; resent = true) {
      const sent = await withRetry('result', (signal) => ctx.client.result(job.id, result, signal), retry);
      if (sent.ok) {
        logger.info({ exitCode: result.exitCode, chunks: result.chunks, error: result.error }, 'job reported');
        return;
      }
      const incomplete = sent.error instanceof AgentApiError && sent.error.code === 'SKADI_OUTPUT_INCOMPLETE';
      if (incomplete && sender && !resent) {
        logger.warn('server is missing output chunks; sending them again');
        await sender.resendAll();
        continue;
      }
      logger.warn({ err: (sent.error as Error)?.message, aborted: sent.aborted }, 'gave up reporting the result');
      return;
    }
  };

  const execute = async (spec: JobSpec): Promise<void> => {
    const sender = createOutputSender({
      client: ctx.client,
      jobId: job.id,
      lease: job.lease,
      retry,
      onCancelled: () => kill.abort('cancelled'),
      onGone: (err) => {
        logger.warn({ err: (err as Error)?.message }, 'output not accepted (server refused it for good, or shutdown deadline); stopping the job');
        kill.abort('the server no longer accepts this job');
      },
    });
    // The agent's own `redact:` secrets never leave the machine; held-back tails catch a secret split across reads.
    const redactor = createStreamRedactor(compileRedactions(ctx.config.redact), redactionHoldback(ctx.config.redact));
    const emit = (text: string): void => {
      if (text) sender.push(text);
    };
    const outcome = await runJob(jobSpec(job, spec), { onOutput: (chunk) => emit(redactor.push(chunk)), signal: kill.signal, killGraceMs: ctx.killGraceMs }, { spawn: ctx.spawn });
    emit(redactor.flush());
    await sender.drain();
    if (sender.gone) return;
    await report({ lease: job.lease, exitCode: outcome.exitCode, chunks: sender.count, ...(outcome.error === undefined ? {} : { error: outcome.error }) }, sender);
  };

  const run = async (): Promise<void> => {
    const acked = await withRetry('ack', (signal) => ctx.client.ack(job.id, { lease: job.lease }, signal), retry);
    if (!acked.ok) {
      logger.warn({ err: (acked.error as Error)?.message }, 'ack refused (lease lost or job gone); not running the job');
      return;
    }
    ctx.onAcked(job.id);
    if (kill.signal.aborted) {
      await report({ lease: job.lease, exitCode: -1, chunks: 0, error: String(kill.signal.reason) });
      return;
    }
    const admitted = await ctx.guard.admit(job);
    if (!admitted.ok) {
      logger.warn({ error: admitted.reason, requester: job.requester }, 'job refused by the agent\'s checks; not running it');
      await report({ lease: job.lease, exitCode: -1, chunks: 0, error: admitted.reason });
      return;
    }
    const parsed = parseJobMessage(job.message, ctx.config);
    if (!parsed.ok) {
      logger.info({ error: parsed.error }, 'job refused');
      await report({ lease: job.lease, exitCode: -1, chunks: 0, error: parsed.error });
      return;
    }
    logger.info({ handler: parsed.handler, attempt: job.attempt }, 'job started');
    await execute(parsed.spec);
  };

  const done = run().catch((err: unknown) => {
    // Not expected (runJob and withRetry do not throw); logged so a bug never kills the daemon.
    logger.error({ err: (err as Error)?.message }, 'job session failed');
  });

  return {
    id: job.id,
    cancel: (reason) => kill.abort(reason),
    done,
  };
}
