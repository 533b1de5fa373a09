import os from 'node:os';
import { createAgentClient, type AgentClient } from '../../src/agent/agent-client.js';
import type { AgentInfo, JobAssignment } from '../../src/core/agent-protocol.js';
import { monoMs, sleep } from '../lib/clock.js';
import type { LoadAgentOptions } from '../lib/protocol.js';

export interface AgentRecorder {
  received(jobId: string, at: number): void;
  completed(jobId: string, at: number): void;
  error(what: string, err: unknown): void;
  polled(): void;
}

/**
 * An agent that speaks the real agent API with the reference agent's HTTP client (kept-alive
 * connections) and its polling pattern: poll with max = free slots and the ids of the jobs it
 * runs, launch what it gets, poll again at once. A job runs nothing: ack, at most one small
 * output chunk, result with exit code 0.
 */
export class BenchAgent {
  private readonly client: AgentClient;
  private readonly running = new Set<string>();
  private readonly acked = new Set<string>();
  private readonly stopping = new AbortController();
  private slotFreed: (() => void) | null = null;
  private outputCredit = 0;
  private loop: Promise<void> | null = null;
  private readonly info: AgentInfo;
  /** monoMs() when the agent last sent a poll (a check-in), NaN before the first. */
  lastPollSent = NaN;
  /** True while a poll is out (held by the server or on its way). */
  polling = false;

  constructor(
    readonly name: string,
    token: string,
    server: string,
    private readonly options: LoadAgentOptions,
    private readonly recorder: AgentRecorder,
  ) {
    this.client = createAgentClient({ server, token, userAgent: 'skadi-bench-agent' });
    this.info = { version: 'bench', host: os.hostname(), os: `${os.platform()} ${os.release()}`, labels: { role: 'bench' } };
  }

  start(): void {
    this.loop ??= this.pollLoop();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.slotFreed?.();
    await this.loop;
    this.client.close();
  }

  private async pollLoop(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      const free = this.options.capacity - this.running.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        this.slotFreed = null;
        continue;
      }
      try {
        this.lastPollSent = monoMs();
        this.polling = true;
        const res = await this.client.poll({ wait: this.options.pollWaitSeconds, max: free, running: [...this.acked], info: this.info }, signal);
        const at = monoMs();
        this.polling = false;
        this.recorder.polled();
        for (const job of res.jobs) {
          this.recorder.received(job.id, at);
          this.launch(job);
        }
      } catch (err) {
        this.polling = false;
        if (signal.aborted) break;
        this.recorder.error('poll', err);
        await sleep(100);
      }
    }
  }

  private launch(job: JobAssignment): void {
    this.running.add(job.id);
    void this.runJob(job)
      .catch((err: unknown) => this.recorder.error('job', err))
      .finally(() => {
        this.running.delete(job.id);
        this.acked.delete(job.id);
        this.slotFreed?.();
      });
  }

  private async runJob(job: JobAssignment): Promise<void> {
    await this.client.ack(job.id, { lease: job.lease });
    this.acked.add(job.id);
    this.outputCredit += this.options.outputRatio;
    let chunks = 0;
    if (this.outputCredit >= 1) {
      this.outputCredit -= 1;
      await this.client.output(job.id, { lease: job.lease, seq: 0, data: `${job.message}\n` });
      chunks = 1;
    }
    await this.client.result(job.id, { lease: job.lease, exitCode: 0, chunks });
    this.recorder.completed(job.id, monoMs());
  }
}
