import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient, createUserApi } from '../../../src/cli/api-client.js';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { runShellSession } from '../../../src/cli/shell-session.js';
import type { RunWatchOptions } from '../../../src/cli/watch-command.js';
import { parseSelector, selectorMatches } from '../../../src/core/selector.js';
import { eventually, tempDir } from '../../helpers/skadi-process.js';

const TOKEN = 'skadi_usr_stub01_TopSecretValue';
const agent = (name: string, labels: Record<string, string>, status = 'online') => ({ name, labels, online: status === 'online', status, lastSeenAt: null, version: '1.2.0' });
const FLEET = [agent('web-1', { role: 'web', region: 'eu' }), agent('web-2', { role: 'web', region: 'us' }), agent('db-1', { role: 'db' }, 'offline')];
const job = (fields: Record<string, unknown>) => ({ agent: 'web-1', state: 'queuing', reason: null, exitCode: null, output: null, outputTruncated: false, requester: 'api:stub', createdAt: '2026-03-01T12:00:00.000Z', message: 'x', ...fields });

/**
 * A stub of the user API with the fan-out contract being built alongside: POST /api/v1/jobs
 * with `selector` answers a parent job (`kind: fanout`, `children`); waiting on it gives the
 * children's states and exit codes. `fanout = false` answers 400 as a server without it would.
 */
interface Stub {
  url: string;
  server: Server;
  posts: Record<string, unknown>[];
  fanout: boolean;
  /** Requests still held open (a job that never finishes). */
  held: Set<ServerResponse>;
}

async function startStub(): Promise<Stub> {
  const stub = { posts: [], fanout: true, held: new Set() } as unknown as Stub;
  const send = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(res, 401, { code: 'SKADI_UNAUTHENTICATED', message: 'bad token' });
    const url = new URL(req.url!, 'http://stub');
    let text = '';
    for await (const chunk of req) text += chunk;
    if (req.method === 'GET' && url.pathname === '/api/v1/agents') {
      const source = url.searchParams.get('selector');
      const selector = source ? parseSelector(source) : null;
      return send(res, 200, { agents: FLEET.filter((a) => !selector || selectorMatches(selector, a)) });
    }
    if (req.method === 'POST' && url.pathname === '/api/v1/jobs') {
      const body = JSON.parse(text) as { agent?: string; selector?: string; message: string };
      stub.posts.push(body);
      if (body.selector !== undefined) {
        if (!stub.fanout) return send(res, 400, { code: 'SKADI_BAD_REQUEST', message: "body must have required property 'agent'" });
        return send(res, 201, job({ id: 'p1', agent: body.selector, kind: 'fanout', message: body.message, targets: ['web-1', 'web-2'], skipped: [{ agent: 'db-1', reason: 'offline' }], children: [{ id: 'c1', agent: 'web-1', state: 'queuing' }] }));
      }
      if (body.agent === 'db-1') return send(res, 409, { code: 'SKADI_AGENT_OFFLINE', message: 'agent db-1 is offline; job j0 expired at once' });
      return send(res, 201, job({ id: body.message.startsWith('sleep') ? 'slow' : 'j1', agent: body.agent, message: body.message }));
    }
    const m = /^\/api\/v1\/jobs\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && m) {
      const id = m[1]!;
      if (id === 'slow') {
        stub.held.add(res);
        res.on('close', () => stub.held.delete(res));
        return;
      }
      if (id === 'j1') return send(res, 200, job({ id, state: 'succeeded', exitCode: 0, output: 'hello from web-1\n' }));
      if (id === 'p1') return send(res, 200, job({ id, agent: 'role=web', kind: 'fanout', state: 'failed', children: [{ id: 'c1', agent: 'web-1', state: 'succeeded', exitCode: 0 }, { id: 'c2', agent: 'web-2', state: 'failed', exitCode: 2 }] }));
      if (id === 'c1' || id === 'c2') return send(res, 200, job({ id, output: `output of ${id}\n` }));
      return send(res, 404, { code: 'SKADI_JOB_NOT_FOUND', message: `no job ${id}` });
    }
    if (req.method === 'GET' && url.pathname === '/api/v1/jobs') return send(res, 200, { jobs: [job({ id: 'j1', agent: 'web-1' }), job({ id: 'j2', agent: 'db-1' }), job({ id: 'j3', agent: 'web-2' })].slice(0, Number(url.searchParams.get('limit'))) });
    return send(res, 404, { code: 'SKADI_NOT_FOUND', message: 'no route' });
  };
  stub.server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => stub.server.listen(0, '127.0.0.1', r));
  const address = stub.server.address();
  stub.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return stub;
}

function shell(url: string, options: { terminal: boolean; historyFile?: string | null; initialTarget?: string; watch?: (o: RunWatchOptions) => Promise<void> }) {
  const input = new PassThrough();
  const output = new PassThrough();
  const errorOutput = new PassThrough();
  let out = '';
  let err = '';
  output.on('data', (d) => (out += d));
  errorOutput.on('data', (d) => (err += d));
  const done = runShellSession({
    input,
    output,
    errorOutput,
    terminal: options.terminal,
    api: createUserApi(createApiClient({ server: url, token: TOKEN })),
    server: url,
    token: TOKEN,
    historyFile: options.historyFile ?? null,
    initialTarget: options.initialTarget,
    processSignals: false,
    watch: options.watch,
  });
  return { input, done, out: () => out, err: () => err, type: (text: string) => input.write(text) };
}

/** Runs lines as a script (non-terminal) and answers the exit status and the output. */
async function script(url: string, lines: string[]) {
  const s = shell(url, { terminal: false });
  s.input.end(`${lines.join('\n')}\n`);
  const code = await s.done;
  return { code, out: s.out(), err: s.err() };
}

describe('skadi shell session (against a stub user API)', () => {
  let stub: Stub;
  beforeAll(async () => {
    stub = await startStub();
  });
  afterAll(async () => {
    for (const res of stub.held) res.destroy();
    stub.server.closeAllConnections();
    await new Promise((r) => stub.server.close(r));
  });

  it('sends to a single agent with `agent`, and to a selector with `selector`, printing the children and a summary', async () => {
    stub.posts.length = 0;
    const r = await script(stub.url, ['use web-1', 'send echo "hi  there"', 'use role=web', 'send --concurrency 1 --max-failures 0 uptime']);
    expect(stub.posts).toEqual([
      { agent: 'web-1', message: 'echo "hi  there"' },
      { selector: 'role=web', concurrency: 1, maxFailures: 0, message: 'uptime' },
    ]);
    expect(r.out).toBe(
      [
        'hello from web-1',
        'job j1 succeeded (exit 0)',
        '== web-1: succeeded (exit 0), job c1',
        'output of c1',
        '== web-2: failed (exit 2), job c2',
        'output of c2',
        'job p1 failed: 2 agent(s), 1 succeeded, 1 failed',
        '',
      ].join('\n'),
    );
    expect(r.err).toContain('target: role=web (2 agent(s): web-1, web-2)');
    expect(r.err).toContain('job p1: fan-out to 2 agent(s): web-1, web-2\n  skipped: db-1 (offline)');
    // A child failed: a script's exit status says so.
    expect(r.code).toBe(EXIT.jobFailed);
  });

  it('prints a {code, message} refusal of a selector send (a server without fan-out) and goes on', async () => {
    stub.fanout = false;
    try {
      const r = await script(stub.url, ['use role=web', 'send uptime', 'use web-1', 'send echo still here']);
      expect(r.err).toContain("error SKADI_BAD_REQUEST: body must have required property 'agent'");
      expect(r.out).toContain('job j1 succeeded (exit 0)');
      expect(r.code).toBe(EXIT.usage);
    } finally {
      stub.fanout = true;
    }
  });

  it('shows a bad selector with its position, refuses send without a target, and says what is unknown', async () => {
    const r = await script(stub.url, ['use role in (web', 'send uptime', 'frobnicate', 'send echo "open', 'status nope']);
    expect(r.err).toContain('error SKADI_BAD_REQUEST: selector "role in (web": the list is not closed at position 13');
    expect(r.err).toContain('  role in (web\n              ^');
    expect(r.err).toContain('error: no target: choose one first with `use <agent|selector>`');
    expect(r.err).toContain('error: unknown command "frobnicate"');
    expect(r.err).toContain('never closed');
    expect(r.err).toContain('error SKADI_JOB_NOT_FOUND: no job nope');
    expect(r.code).toBe(EXIT.error);
    expect(r.out).toBe('');
  });

  it('lists the agents and the jobs of the target; an offline agent sends exit 4; a clean script exits 0', async () => {
    const r = await script(stub.url, ['list', 'use role=web', 'list', 'jobs', 'use', 'jobs limit=2']);
    const tables = r.out.split('NAME').slice(1).map((t) => t.split(/\nj\d /)[0]!);
    expect(tables).toHaveLength(2);
    expect(tables[0]).toMatch(/web-1 .*online .*now .*1\.2\.0 .*role=web,region=eu/);
    expect(tables[0]).toContain('db-1');
    expect(tables[1]).not.toContain('db-1');
    const jobLines = r.out.split('\n').filter((l) => /^j\d /.test(l));
    expect(jobLines.map((l) => l.split(' ')[0])).toEqual(['j1', 'j3', 'j1', 'j2']);
    expect(r.code).toBe(EXIT.ok);
    const offline = await script(stub.url, ['use db-1', 'send uptime']);
    expect(offline.err).toContain('error SKADI_AGENT_OFFLINE: agent db-1 is offline');
    expect(offline.code).toBe(EXIT.jobExpired);
  });

  it('at a terminal: TAB completes commands, agent names and label values; the prompt shows the target', async () => {
    const s = shell(stub.url, { terminal: true });
    await eventually(() => s.out().includes('skadi> '), 5000, 'first prompt');
    // Keys one write at a time: node:readline takes a TAB inside a longer chunk as pasted text.
    s.type('use we');
    s.type('\t'); // to the common prefix: web-
    s.type('\t');
    await eventually(() => /web-1\s+web-2/.test(s.out()), 5000, 'the candidates listed');
    s.type('2');
    s.type('\r');
    await eventually(() => s.out().includes('skadi [web-2]> '), 5000, 'prompt with the target');
    s.type('use region=');
    s.type('\t');
    s.type('\t'); // the second TAB lists the candidates
    await eventually(() => /region=eu\s+region=us/.test(s.out()), 5000, 'values listed');
    s.type('e');
    s.type('\t');
    s.type('\r');
    await eventually(() => s.out().includes('skadi [region=eu]> '), 5000, 'completed value became the target');
    s.type('he');
    s.type('\t');
    s.type('\r');
    await eventually(() => s.out().includes('cancel <job>'), 5000, 'help ran');
    s.type('\x04');
    expect(await s.done).toBe(EXIT.ok);
  });

  it('at a terminal: Ctrl-C while send waits returns to the prompt, the shell goes on', async () => {
    const s = shell(stub.url, { terminal: true, initialTarget: 'web-1' });
    await eventually(() => s.out().includes('skadi [web-1]> '), 5000, 'prompt');
    s.type('send sleep 100\r');
    await eventually(() => stub.held.size === 1, 5000, 'waiting on the job');
    s.type('\x03');
    await eventually(() => s.err().includes('stopped waiting; job slow goes on'), 5000, 'interrupted');
    await eventually(() => stub.held.size === 0, 5000, 'the wait request was abandoned');
    s.type('send echo again\r');
    await eventually(() => s.out().includes('job j1 succeeded (exit 0)'), 5000, 'next command ran');
    s.type('exit\r');
    expect(await s.done).toBe(EXIT.ok);
  });

  it('keeps history across two sessions, never with a token in it', async () => {
    const historyFile = join(tempDir('skadi-shell-history-'), 'history');
    const first = shell(stub.url, { terminal: true, historyFile });
    await eventually(() => first.out().includes('skadi> '), 5000, 'prompt');
    for (const line of ['use web-1', `send echo ${TOKEN}`, ' send echo not-kept', 'jobs']) first.type(`${line}\r`);
    await eventually(() => first.out().includes('j3'), 5000, 'jobs listed');
    first.type('exit\r');
    await first.done;
    const saved = readFileSync(historyFile, 'utf8');
    expect(saved).toBe('use web-1\njobs\nexit\n');
    expect(saved).not.toContain(TOKEN);
    expect(saved).not.toContain('skadi_usr_');

    const second = shell(stub.url, { terminal: true, historyFile });
    await eventually(() => second.out().includes('skadi> '), 5000, 'prompt');
    const before = second.out().length;
    second.type('\x1b[A'); // up: exit
    second.type('\x1b[A'); // up: jobs
    second.type('\x1b[A'); // up: use web-1
    await eventually(() => second.out().slice(before).includes('use web-1'), 5000, 'history recalled');
    second.type('\r');
    await eventually(() => second.out().includes('skadi [web-1]> '), 5000, 'the recalled line ran');
    second.type('\x04');
    await second.done;
    expect(readFileSync(historyFile, 'utf8')).toBe('use web-1\njobs\nexit\nuse web-1\n');
  });

  it('watch streams events about the target until Ctrl-C, then the prompt comes back', async () => {
    const calls: RunWatchOptions[] = [];
    const fakeWatch = async (o: RunWatchOptions) => {
      calls.push(o);
      o.out('2026-03-01T12:00:00.000Z  agent web-1 is offline');
      await new Promise<void>((resolve) => o.signal.addEventListener('abort', () => resolve(), { once: true }));
    };
    const s = shell(stub.url, { terminal: true, initialTarget: 'role=web', watch: fakeWatch });
    await eventually(() => s.out().includes('skadi [role=web]> '), 5000, 'prompt');
    s.type('watch\r');
    await eventually(() => s.out().includes('agent web-1 is offline'), 5000, 'event printed');
    expect(calls[0]).toMatchObject({ server: stub.url, token: TOKEN, selector: 'role=web', types: 'EventAgentStatus,EventFleetDrift,EventJobStatus' });
    const before = s.out().length;
    s.type('\x03');
    await eventually(() => s.out().slice(before).includes('skadi [role=web]> '), 5000, 'prompt after Ctrl-C');
    s.type('exit\r');
    expect(await s.done).toBe(EXIT.ok);
  });
});
