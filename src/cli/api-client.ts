import { SkadiError, type ErrorCode } from '../core/errors.js';

/** A job as the user API returns it (src/http/resource-json.ts), plus the fan-out fields of a parent job. */
export interface JobJson {
  id: string;
  agent: string;
  state: string;
  reason: string | null;
  exitCode: number | null;
  output: string | null;
  outputTruncated: boolean;
  requester: string;
  createdAt: string;
  message: string;
  /** `fanout` for a parent job made from a selector. */
  kind?: string;
  /** A fan-out parent's child jobs, one per matching agent. */
  children?: ChildJobJson[];
  /** A fan-out parent's agents, in order (children may start a few at a time). */
  targets?: string[];
  /** Matching agents a fan-out left out, and why (offline, not allowed). */
  skipped?: { agent: string; reason: string }[];
}

/** One child of a fan-out parent; `exitCode` (and sometimes `output`) once the parent was waited for. */
export interface ChildJobJson {
  id: string;
  agent: string;
  state: string;
  exitCode?: number | null;
  output?: string | null;
}

/** An agent as the user API returns it. */
export interface AgentJson {
  name: string;
  online: boolean;
  status: string;
  labels: Record<string, string>;
  lastSeenAt: string | null;
  version: string | null;
}

/** What a job may be sent to: one agent by name, or every agent a selector matches (fan-out). */
export type JobTarget = { agent: string } | { selector: string; concurrency?: number; maxFailures?: number };

export const FINAL_STATES: readonly string[] = ['succeeded', 'failed', 'expired', 'cancelled'];

export interface CallOptions {
  headers?: Record<string, string>;
  /** Aborts the request (Ctrl-C in the shell, a completion that took too long). */
  signal?: AbortSignal;
}

/** Talks to the user API with a user token, turning `{code, message}` answers into SkadiErrors. */
export function createApiClient(options: { server: string; token: string | undefined }) {
  const base = options.server.replace(/\/+$/, '');
  async function call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, callOptions: CallOptions = {}): Promise<{ status: number; body: T }> {
    if (!options.token) throw new SkadiError('SKADI_UNAUTHENTICATED', 'no API token: pass --token or set SKADI_TOKEN (create one with `skadi token create NAME`)');
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${options.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers, ...callOptions.headers },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: callOptions.signal,
      });
    } catch (err) {
      // An abort is the caller's own decision: let it through as it is, not as "unreachable".
      if (callOptions.signal?.aborted) throw err;
      throw new SkadiError('SKADI_UNAVAILABLE', `cannot reach ${base}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
    }
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!res.ok) {
      const e = (parsed ?? {}) as { code?: string; message?: string; details?: Record<string, unknown> };
      throw new SkadiError((e.code as ErrorCode) ?? 'SKADI_INTERNAL', e.message ?? `HTTP ${res.status}`, e.details);
    }
    return { status: res.status, body: parsed as T };
  }
  return { call };
}

export type ApiClient = ReturnType<typeof createApiClient>;

/**
 * The user-API requests the CLI makes, shared by the one-shot commands (`skadi send`, `jobs`,
 * `agents`) and `skadi shell`, so both send the same bodies and read the same answers.
 */
export function createUserApi(api: ApiClient) {
  return {
    async listAgents(selector?: string, signal?: AbortSignal): Promise<AgentJson[]> {
      const query = selector ? `?${new URLSearchParams({ selector })}` : '';
      return (await api.call<{ agents: AgentJson[] }>('GET', `/api/v1/agents${query}`, undefined, {}, { signal })).body.agents;
    },
    async createJob(target: JobTarget, message: string, opts: { timeoutSeconds?: number; idempotencyKey: string; signal?: AbortSignal }): Promise<JobJson> {
      const body = { ...target, message, ...(opts.timeoutSeconds ? { timeoutSeconds: opts.timeoutSeconds } : {}) };
      return (await api.call<JobJson>('POST', '/api/v1/jobs', body, { 'idempotency-key': opts.idempotencyKey }, { signal: opts.signal })).body;
    },
    async getJob(id: string, signal?: AbortSignal): Promise<JobJson> {
      return (await api.call<JobJson>('GET', `/api/v1/jobs/${encodeURIComponent(id)}`, undefined, {}, { signal })).body;
    },
    /** Waits (in long-polls of at most a minute) until the job is final or `seconds` ran out; answers the last state seen. */
    async waitForJob(job: JobJson, seconds: number, signal?: AbortSignal): Promise<JobJson> {
      const deadline = Date.now() + seconds * 1000;
      while (!FINAL_STATES.includes(job.state) && Date.now() < deadline) {
        const chunk = Math.min(60, Math.max(1, Math.ceil((deadline - Date.now()) / 1000)));
        job = (await api.call<JobJson>('GET', `/api/v1/jobs/${encodeURIComponent(job.id)}?wait=${chunk}`, undefined, {}, { signal })).body;
      }
      return job;
    },
    async listJobs(filter: { agent?: string; state?: string; limit: number }, signal?: AbortSignal): Promise<JobJson[]> {
      const q = new URLSearchParams({ limit: String(filter.limit), ...(filter.agent ? { agent: filter.agent } : {}), ...(filter.state ? { state: filter.state } : {}) });
      return (await api.call<{ jobs: JobJson[] }>('GET', `/api/v1/jobs?${q}`, undefined, {}, { signal })).body.jobs;
    },
    async cancelJob(id: string): Promise<JobJson> {
      return (await api.call<JobJson>('POST', `/api/v1/jobs/${encodeURIComponent(id)}/cancel`)).body;
    },
  };
}

export type UserApi = ReturnType<typeof createUserApi>;
