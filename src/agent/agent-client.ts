import http from 'node:http';
import https from 'node:https';
import {
  AGENT_API_PREFIX,
  type AckRequest,
  type JobAssignment,
  type OutputRequest,
  type OutputResponse,
  type PollRequest,
  type PollResponse,
  type ResultRequest,
} from '../core/agent-protocol.js';
import { AgentApiError } from './agent-api-error.js';

/** The agent API as the agent sees it. Every call may throw AgentApiError or a network error. */
export interface AgentClient {
  /** Long-poll for jobs and cancels; abort `signal` to give up (shutdown). */
  poll(request: PollRequest, signal?: AbortSignal): Promise<PollResponse>;
  ack(jobId: string, request: AckRequest, signal?: AbortSignal): Promise<void>;
  output(jobId: string, request: OutputRequest, signal?: AbortSignal): Promise<OutputResponse>;
  result(jobId: string, request: ResultRequest, signal?: AbortSignal): Promise<void>;
  /** Closes the kept-alive connections. */
  close(): void;
}

export interface AgentClientOptions {
  /** Base URL of the Skadi server, e.g. `https://skadi.example.com` (a path prefix is kept). */
  server: string;
  token: string;
  userAgent?: string;
  /** Idle time after which a request fails (default 30 s); a poll gets its `wait` on top. */
  requestTimeoutMs?: number;
}

/** Tries of one request on kept-alive sockets found closed, before the failure is reported. */
const MAX_STALE_RETRIES = 3;

/** Guards against a misbehaving server: protocol answers are small. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

class ProtocolError extends Error {
  override name = 'ProtocolError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toAssignment(value: unknown): JobAssignment {
  if (!isRecord(value) || typeof value.id !== 'string' || typeof value.lease !== 'string' || typeof value.message !== 'string') {
    throw new ProtocolError('malformed poll response: a job lacks id, lease or message');
  }
  return {
    id: value.id,
    lease: value.lease,
    message: value.message,
    requester: typeof value.requester === 'string' ? value.requester : '',
    attempt: typeof value.attempt === 'number' ? value.attempt : 1,
    expiresAt: typeof value.expiresAt === 'string' ? value.expiresAt : '',
    timeoutMs: typeof value.timeoutMs === 'number' ? value.timeoutMs : 0,
    ackDeadline: typeof value.ackDeadline === 'string' ? value.ackDeadline : '',
    ...(typeof value.issuedAt === 'string' ? { issuedAt: value.issuedAt } : {}),
    ...(typeof value.signature === 'string' ? { signature: value.signature } : {}),
  };
}

function toPollResponse(body: unknown): PollResponse {
  if (!isRecord(body)) throw new ProtocolError('malformed poll response: not an object');
  const jobs = body.jobs ?? [];
  const cancels = body.cancels ?? [];
  if (!Array.isArray(jobs) || !Array.isArray(cancels)) throw new ProtocolError('malformed poll response: jobs and cancels must be lists');
  return {
    ...(typeof body.agent === 'string' ? { agent: body.agent } : {}),
    jobs: jobs.map(toAssignment),
    cancels: cancels.filter((id): id is string => typeof id === 'string'),
  };
}

function retryAfter(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * Creates the HTTP client. Connections are kept alive (one TLS handshake, not one per output
 * chunk); a request that fails because the server closed an idle kept-alive socket is sent
 * again once on a fresh one, as Node's docs recommend.
 */
export function createAgentClient(options: AgentClientOptions): AgentClient {
  const base = new URL(options.server);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError(`agent server URL must be http(s), got ${options.server}`);
  const transport = base.protocol === 'https:' ? https : http;
  const agent = new transport.Agent({ keepAlive: true, keepAliveMsecs: 10_000, scheduling: 'lifo' });
  const prefix = base.pathname.replace(/\/+$/, '') + AGENT_API_PREFIX;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const headers = {
    authorization: `Bearer ${options.token}`,
    'content-type': 'application/json',
    accept: 'application/json',
    'user-agent': options.userAgent ?? 'skadi-agent',
  };

  const once = (path: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<{ value: unknown; stale?: boolean }> =>
    new Promise((resolve, reject) => {
      const payload = Buffer.from(JSON.stringify(body));
      const url = new URL(prefix + path, base);
      const req = transport.request(url, { method: 'POST', agent, signal, timeout: timeoutMs, headers: { ...headers, 'content-length': payload.length } });
      req.on('timeout', () => req.destroy(new ProtocolError(`no answer from ${url.pathname} within ${timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (req.reusedSocket && err.code === 'ECONNRESET' && !signal?.aborted) resolve({ value: undefined, stale: true });
        else reject(err);
      });
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (part: Buffer) => {
          size += part.length;
          if (size > MAX_RESPONSE_BYTES) res.destroy(new ProtocolError(`answer of ${url.pathname} is larger than ${MAX_RESPONSE_BYTES} bytes`));
          else parts.push(part);
        });
        res.on('error', reject);
        res.on('close', () => {
          if (!res.complete) return reject(new ProtocolError(`connection closed while reading the answer of ${url.pathname}`));
          const text = Buffer.concat(parts).toString('utf8');
          let value: unknown;
          try {
            value = text === '' ? undefined : JSON.parse(text);
          } catch {
            value = undefined;
            if (res.statusCode !== undefined && res.statusCode < 300) return reject(new ProtocolError(`answer of ${url.pathname} is not JSON`));
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve({ value });
          else reject(new AgentApiError(status, value, retryAfter(res.headers['retry-after'])));
        });
      });
      req.end(payload);
    });

  const call = async (path: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<unknown> => {
    for (let stale = 1; ; stale++) {
      const answer = await once(path, body, timeoutMs, signal);
      if (!answer.stale) return answer.value;
      // The pool may hold several sockets the server (or a proxy) closed: a few more tries, then it
      // is a network failure like any other. Never report a request that got no answer as done —
      // an ack taken for accepted would run a job the server still hands out again.
      if (stale >= MAX_STALE_RETRIES) throw Object.assign(new Error(`connection reset on ${path} (kept-alive connections closed by the other side)`), { code: 'ECONNRESET' });
    }
  };

  const jobPath = (jobId: string, action: string): string => `/jobs/${encodeURIComponent(jobId)}/${action}`;

  return {
    async poll(request, signal) {
      const holdMs = (request.wait ?? 25) * 1000;
      return toPollResponse(await call('/poll', request, holdMs + requestTimeoutMs, signal));
    },
    async ack(jobId, request, signal) {
      await call(jobPath(jobId, 'ack'), request, requestTimeoutMs, signal);
    },
    async output(jobId, request, signal) {
      const body = await call(jobPath(jobId, 'output'), request, requestTimeoutMs, signal);
      return { cancelled: isRecord(body) && body.cancelled === true };
    },
    async result(jobId, request, signal) {
      await call(jobPath(jobId, 'result'), request, requestTimeoutMs, signal);
    },
    close() {
      agent.destroy();
    },
  };
}
