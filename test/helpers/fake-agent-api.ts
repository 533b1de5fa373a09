import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AGENT_API_PREFIX, type JobAssignment, type PollRequest, type ResultRequest } from '../../src/core/agent-protocol.js';

/**
 * A small in-memory agent API on 127.0.0.1 for agent tests: it holds polls like the real
 * server, tracks each job's state and lease, records every request, and can be told to fail.
 */
export type FakeRoute = 'poll' | 'ack' | 'output' | 'result';
type FakeState = 'queuing' | 'sent' | 'running' | 'finished' | 'cancelled';

interface FakeJob {
  assignment: JobAssignment;
  state: FakeState;
  chunks: Map<number, string>;
  result?: ResultRequest;
  hideCancel?: boolean;
}

export interface FakeRequest {
  route: FakeRoute;
  jobId?: string;
  body: Record<string, unknown>;
}

interface Failure {
  route: FakeRoute;
  status: number;
  code: string;
  remaining: number;
  jobId?: string;
}

export interface FakeAgentApi {
  readonly url: string;
  readonly token: string;
  /** Every poll body received, in order. */
  readonly polls: PollRequest[];
  /** Every request received (after authentication), in order. */
  readonly requests: FakeRequest[];
  enqueue(job: { message: string } & Partial<JobAssignment>): JobAssignment;
  /** Cancels a job; with `viaPoll: false` only output answers tell the agent (`cancelled: true`). */
  cancel(jobId: string, options?: { viaPoll?: boolean }): void;
  /** Answers 200 to output chunk `seq` of the job once, but does not store it. */
  loseOutput(jobId: string, seq: number): void;
  /** The next `times` requests to `route` (for `jobId` if given) answer `status {code}`. */
  fail(route: FakeRoute, times: number, status: number, code: string, jobId?: string): void;
  state(jobId: string): FakeState | undefined;
  output(jobId: string): string;
  chunkSeqs(jobId: string): number[];
  result(jobId: string): ResultRequest | undefined;
  /** Resolves with the predicate's first truthy value; rejects after `timeoutMs`. */
  waitFor<T>(predicate: () => T | undefined | false, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

/** Starts the fake on an ephemeral loopback port. */
export async function startFakeAgentApi(options: { token?: string } = {}): Promise<FakeAgentApi> {
  const token = options.token ?? 'test-agent-token';
  const jobs = new Map<string, FakeJob>();
  const polls: PollRequest[] = [];
  const requests: FakeRequest[] = [];
  const failures: Failure[] = [];
  let waiters: Array<(cancelledJobId?: string) => void> = [];
  const lost = new Set<string>();
  let nextId = 1;

  /** Like the real server, a cancel wakes held polls and names the job, whether or not the poll listed it as running. */
  const wakeAll = (cancelledJobId?: string): void => {
    const current = waiters;
    waiters = [];
    for (const w of current) w(cancelledJobId);
  };

  const takeFailure = (route: FakeRoute, jobId?: string): Failure | undefined => {
    const f = failures.find((x) => x.route === route && x.remaining > 0 && (x.jobId === undefined || x.jobId === jobId));
    if (f) f.remaining--;
    return f;
  };

  const answerPoll = (body: PollRequest, heldCancels: readonly string[]): { jobs: JobAssignment[]; cancels: string[] } => {
    const cancels = [...new Set([...(body.running ?? []), ...heldCancels])].filter((id) => jobs.get(id)?.state === 'cancelled' && !jobs.get(id)?.hideCancel);
    const handed: JobAssignment[] = [];
    for (const job of jobs.values()) {
      if (handed.length >= (body.max ?? 1)) break;
      if (job.state !== 'queuing') continue;
      job.state = 'sent';
      handed.push(job.assignment);
    }
    return { jobs: handed, cancels };
  };

  const poll = async (req: IncomingMessage, res: ServerResponse, body: PollRequest): Promise<void> => {
    polls.push(body);
    const deadline = Date.now() + (body.wait ?? 25) * 1000;
    const heldCancels: string[] = [];
    for (;;) {
      // The agent gave up on this poll (abort): hand nothing out on a dead connection.
      if (req.socket.destroyed) return;
      const answer = answerPoll(body, heldCancels);
      if (answer.jobs.length > 0 || answer.cancels.length > 0 || Date.now() >= deadline) return send(res, 200, answer);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        waiters.push((cancelledJobId) => {
          if (cancelledJobId) heldCancels.push(cancelledJobId);
          clearTimeout(timer);
          resolve();
        });
        res.once('close', resolve);
      });
    }
  };

  const jobRoute = (res: ServerResponse, route: FakeRoute, job: FakeJob | undefined, body: Record<string, unknown>): void => {
    if (!job) return send(res, 404, { code: 'SKADI_JOB_NOT_FOUND', message: 'no such job' });
    if (body.lease !== job.assignment.lease) return send(res, 409, { code: 'SKADI_LEASE_MISMATCH', message: 'lease mismatch' });
    if (route === 'ack') {
      if (job.state === 'running') return send(res, 200, { id: job.assignment.id, state: 'running' });
      if (job.state !== 'sent') return send(res, 409, { code: 'SKADI_INVALID_TRANSITION', message: `job is ${job.state}` });
      job.state = 'running';
      return send(res, 200, { id: job.assignment.id, state: 'running' });
    }
    if (route === 'output') {
      if (job.state === 'cancelled') return send(res, 200, { cancelled: true });
      if (job.state !== 'running') return send(res, 409, { code: 'SKADI_INVALID_TRANSITION', message: `job is ${job.state}` });
      const key = `${job.assignment.id}/${String(body.seq)}`;
      if (lost.has(key)) lost.delete(key);
      else job.chunks.set(body.seq as number, body.data as string);
      return send(res, 200, { cancelled: false });
    }
    if (job.state === 'finished') return send(res, 200, { id: job.assignment.id, state: 'finished' });
    if (job.state !== 'running') return send(res, 409, { code: 'SKADI_INVALID_TRANSITION', message: `job is ${job.state}` });
    const result = body as unknown as ResultRequest;
    for (let seq = 0; seq < result.chunks; seq++) {
      if (!job.chunks.has(seq)) return send(res, 409, { code: 'SKADI_OUTPUT_INCOMPLETE', message: `missing chunk ${seq}` });
    }
    job.state = 'finished';
    job.result = result;
    return send(res, 200, { id: job.assignment.id, state: 'finished' });
  };

  const server = createServer((req, res) => {
    void (async () => {
      if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, { code: 'SKADI_UNAUTHENTICATED', message: 'bad token' });
      const path = (req.url ?? '').slice(AGENT_API_PREFIX.length);
      const body = await readJson(req);
      const match = /^\/jobs\/([^/]+)\/(ack|output|result)$/.exec(path);
      const route: FakeRoute | undefined = path === '/poll' ? 'poll' : (match?.[2] as FakeRoute | undefined);
      if (req.method !== 'POST' || !req.url?.startsWith(AGENT_API_PREFIX) || !route) return send(res, 404, { code: 'SKADI_NOT_FOUND', message: 'no route' });
      const jobId = match ? decodeURIComponent(match[1]!) : undefined;
      requests.push({ route, ...(jobId === undefined ? {} : { jobId }), body });
      const failure = takeFailure(route, jobId);
      if (failure) return send(res, failure.status, { code: failure.code, message: `injected ${failure.status}` });
      if (route === 'poll') return poll(req, res, body as PollRequest);
      return jobRoute(res, route, jobs.get(jobId!), body);
    })().catch((err: unknown) => send(res, 500, { code: 'SKADI_INTERNAL', message: String(err) }));
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    polls,
    requests,
    enqueue(partial) {
      const id = partial.id ?? `job${nextId++}`;
      const assignment: JobAssignment = {
        id,
        lease: `lease-${id}`,
        requester: 'test:alice',
        attempt: 1,
        expiresAt: new Date(Date.now() + 600_000).toISOString(),
        timeoutMs: 600_000,
        ackDeadline: new Date(Date.now() + 30_000).toISOString(),
        ...partial,
      };
      jobs.set(id, { assignment, state: 'queuing', chunks: new Map() });
      wakeAll();
      return assignment;
    },
    cancel(jobId, cancelOptions = {}) {
      const job = jobs.get(jobId);
      if (job && job.state !== 'finished') {
        job.state = 'cancelled';
        job.hideCancel = cancelOptions.viaPoll === false;
      }
      wakeAll(cancelOptions.viaPoll === false ? undefined : jobId);
    },
    loseOutput(jobId, seq) {
      lost.add(`${jobId}/${seq}`);
    },
    fail(route, times, status, code, jobId) {
      failures.push({ route, status, code, remaining: times, jobId });
    },
    state: (jobId) => jobs.get(jobId)?.state,
    output(jobId) {
      const chunks = jobs.get(jobId)?.chunks ?? new Map<number, string>();
      return [...chunks.keys()].sort((a, b) => a - b).map((seq) => chunks.get(seq)).join('');
    },
    chunkSeqs: (jobId) => [...(jobs.get(jobId)?.chunks.keys() ?? [])].sort((a, b) => a - b),
    result: (jobId) => jobs.get(jobId)?.result,
    async waitFor(predicate, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = predicate();
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      wakeAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
