import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentApiError, classifyFailure } from '../../../src/agent/agent-api-error.js';
import { createAgentClient, type AgentClient } from '../../../src/agent/agent-client.js';
import { backoffDelay } from '../../../src/core/backoff.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

let server: Server | undefined;
let client: AgentClient | undefined;
let connections = 0;

async function serve(handler: Handler, prefix = ''): Promise<string> {
  connections = 0;
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handler(req, body, res));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}`;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

afterEach(async () => {
  client?.close();
  client = undefined;
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe('agent client', () => {
  it('posts JSON with the bearer token under the API prefix, keeping the connection alive', async () => {
    const seen: Array<{ url?: string; auth?: string; body: unknown }> = [];
    const url = await serve((req, body, res) => {
      seen.push({ url: req.url, auth: req.headers.authorization, body: JSON.parse(body) });
      if (req.url!.endsWith('/poll')) json(res, 200, { jobs: [{ id: 'j1', lease: 'l1', message: 'echo hi', requester: 'web:a', attempt: 1, expiresAt: 'x', timeoutMs: 5, ackDeadline: 'y' }], cancels: ['j0'] });
      else if (req.url!.endsWith('/output')) json(res, 200, { cancelled: true });
      else json(res, 200, { id: 'j1', state: 'running' });
    }, '/skadi/');
    client = createAgentClient({ server: url, token: 'tok' });
    const polled = await client.poll({ wait: 0, max: 1, running: [] });
    expect(polled).toEqual({ jobs: [{ id: 'j1', lease: 'l1', message: 'echo hi', requester: 'web:a', attempt: 1, expiresAt: 'x', timeoutMs: 5, ackDeadline: 'y' }], cancels: ['j0'] });
    await client.ack('j 1', { lease: 'l1' });
    expect(await client.output('j1', { lease: 'l1', seq: 0, data: '你好' })).toEqual({ cancelled: true });
    await client.result('j1', { lease: 'l1', exitCode: 0, chunks: 1 });
    expect(seen.map((s) => s.url)).toEqual(['/skadi/api/v1/agent/poll', '/skadi/api/v1/agent/jobs/j%201/ack', '/skadi/api/v1/agent/jobs/j1/output', '/skadi/api/v1/agent/jobs/j1/result']);
    expect(seen.every((s) => s.auth === 'Bearer tok')).toBe(true);
    expect(seen[2]!.body).toEqual({ lease: 'l1', seq: 0, data: '你好' });
    expect(connections).toBe(1);
  });

  it('maps {code, message} error answers to AgentApiError with code and HTTP status', async () => {
    const url = await serve((req, _body, res) => {
      if (req.url!.endsWith('/ack')) json(res, 409, { code: 'SKADI_LEASE_MISMATCH', message: 'lease mismatch' });
      else if (req.url!.endsWith('/output')) json(res, 429, { code: 'SKADI_RATE_LIMITED', message: 'slow down' }, { 'retry-after': '2' });
      else {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html>Bad gateway</html>');
      }
    });
    client = createAgentClient({ server: url, token: 'tok' });
    const ack = await client.ack('j1', { lease: 'l' }).catch((e: unknown) => e);
    expect(ack).toBeInstanceOf(AgentApiError);
    expect(ack).toMatchObject({ code: 'SKADI_LEASE_MISMATCH', httpStatus: 409, message: expect.stringContaining('lease mismatch') });
    expect(classifyFailure(ack)).toBe('final');
    const out = await client.output('j1', { lease: 'l', seq: 0, data: '' }).catch((e: unknown) => e);
    expect(out).toMatchObject({ code: 'SKADI_RATE_LIMITED', httpStatus: 429, retryAfterMs: 2000 });
    expect(classifyFailure(out)).toBe('retry');
    const res = await client.result('j1', { lease: 'l', exitCode: 0, chunks: 0 }).catch((e: unknown) => e);
    expect(res).toMatchObject({ code: 'SKADI_UNAVAILABLE', httpStatus: 502 });
    expect(classifyFailure(new AgentApiError(401, { code: 'SKADI_UNAUTHENTICATED', message: 'no' }))).toBe('auth');
    expect(classifyFailure(new Error('ECONNREFUSED'))).toBe('retry');
  });

  it('rejects a malformed poll answer', async () => {
    const url = await serve((_req, _body, res) => json(res, 200, { jobs: [{ id: 1 }] }));
    client = createAgentClient({ server: url, token: 'tok' });
    await expect(client.poll({ wait: 0 })).rejects.toThrow(/malformed poll response/);
  });

  it('aborts a held poll through its signal', async () => {
    const url = await serve(() => {
      /* never answers: a held long-poll */
    });
    client = createAgentClient({ server: url, token: 'tok' });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 50);
    await expect(client.poll({ wait: 25 }, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('fails with a network error when nothing listens', async () => {
    const url = await serve(() => {});
    const port = (server!.address() as AddressInfo).port;
    server!.close();
    server = undefined;
    client = createAgentClient({ server: url, token: 'tok' });
    const err = await client.poll({ wait: 0 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ECONNREFUSED' });
    expect(classifyFailure(err)).toBe('retry');
    expect(port).toBeGreaterThan(0);
  });
});

describe('backoff', () => {
  it('uses full jitter under an exponential ceiling capped at capMs', () => {
    const policy = { baseMs: 500, capMs: 30_000 };
    expect(backoffDelay(0, policy, () => 0.999)).toBe(499);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(2_000);
    expect(backoffDelay(20, policy, () => 0.999)).toBe(29_970);
    expect(backoffDelay(5, policy, () => 0)).toBe(0);
  });
});
