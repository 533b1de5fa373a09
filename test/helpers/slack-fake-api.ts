import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeSlackSocket } from './slack-fake-socket.js';

/** One Web API call as the fake received it. */
export interface FakeSlackCall {
  method: string;
  params: Record<string, unknown>;
  token: string | null;
  at: number;
  /** The HTTP status the fake answered with. */
  status: number;
}

/** A message in the fake workspace: one entry per version (post, then each update). */
export interface FakeSlackMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks?: Array<Record<string, unknown>>;
  edited: boolean;
  file?: { id: string; name: string; title: string; content: string };
}

export type FakeFailure = { status: 429; retryAfter: number } | { status: 500 | 502 | 503 } | { error: string };

export interface FakeSlackOptions {
  botUserId?: string;
  botId?: string;
  teamId?: string;
  /** users.info answers: user id → display name. Unknown users get `user_not_found`. */
  users?: Record<string, string>;
}

const BLOCK_LIMITS = { blocks: 50, section: 3000, field: 2000, text: 40_000 };

/**
 * A local fake of Slack's Web API on 127.0.0.1 (what `clientOptions.slackApiUrl` points at): it
 * records every call, keeps the messages of a fake workspace (posts, updates, file shares),
 * enforces the Block Kit limits Slack enforces, implements the external file upload flow, and
 * answers 429 with Retry-After (or a 5xx, or a platform error) on demand. It also serves Socket
 * Mode (apps.connections.open → a WebSocket here) and response_url posts.
 */
export class FakeSlackApi {
  readonly calls: FakeSlackCall[] = [];
  /** Every version of every message, oldest first. */
  readonly history: FakeSlackMessage[] = [];
  /** Bodies posted to response_urls (ephemeral notes). */
  readonly responses: Array<Record<string, unknown>> = [];
  readonly botUserId: string;
  readonly botId: string;
  readonly teamId: string;
  socket!: FakeSlackSocket;
  private readonly server = createServer((req, res) => void this.handle(req, res));
  private readonly failures = new Map<string, FakeFailure[]>();
  private readonly uploads = new Map<string, { filename: string; length: number; content?: Buffer }>();
  private readonly users: Record<string, string>;
  private port = 0;
  private tsCounter = 0;
  private fileCounter = 0;

  constructor(options: FakeSlackOptions = {}) {
    this.botUserId = options.botUserId ?? 'UBOT';
    this.botId = options.botId ?? 'BBOT';
    this.teamId = options.teamId ?? 'TFAKE';
    this.users = { ...options.users };
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.socket = new FakeSlackSocket(this.server, '/link');
    return this;
  }

  /** The Web API base URL, for `slack.apiUrl`. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  /** A response_url served by this fake. */
  responseUrl(id: string): string {
    return `http://127.0.0.1:${this.port}/response/${id}`;
  }

  addUser(id: string, displayName: string): void {
    this.users[id] = displayName;
  }

  /** The next `times` calls of `method` fail with `failure`. */
  failNext(method: string, failure: FakeFailure, times = 1): void {
    const queue = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(failure);
    this.failures.set(method, queue);
  }

  callsOf(method: string): FakeSlackCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** The latest version of each message, in order of first appearance. */
  messages(): FakeSlackMessage[] {
    const latest = new Map<string, FakeSlackMessage>();
    for (const m of this.history) latest.set(`${m.channel}/${m.ts}`, m);
    return [...latest.values()];
  }

  /** The messages of one thread (its root included), latest versions. */
  thread(channel: string, threadTs: string): FakeSlackMessage[] {
    return this.messages().filter((m) => m.channel === channel && (m.ts === threadTs || m.threadTs === threadTs));
  }

  async close(): Promise<void> {
    this.socket?.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A ts Slack-style: seconds, a dot, six digits; strictly increasing. */
  nextTs(): string {
    this.tsCounter += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(this.tsCounter).padStart(6, '0')}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const url = req.url ?? '/';
    if (url.startsWith('/upload/')) return this.receiveUpload(url.slice('/upload/'.length), raw, res);
    if (url.startsWith('/response/')) {
      this.responses.push(JSON.parse(raw.toString('utf8')) as Record<string, unknown>);
      return send(res, 200, 'ok');
    }
    const method = url.startsWith('/api/') ? url.slice(5).split('?')[0]! : '';
    const params = parseParams(raw.toString('utf8'), req.headers['content-type']);
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : typeof params.token === 'string' ? params.token : null;
    const call: FakeSlackCall = { method, params, token, at: Date.now(), status: 200 };
    this.calls.push(call);
    const failure = this.failures.get(method)?.shift();
    if (failure && 'status' in failure) {
      call.status = failure.status;
      if (failure.status === 429) res.setHeader('retry-after', String(failure.retryAfter));
      return send(res, failure.status, failure.status === 429 ? '{"ok":false,"error":"ratelimited"}' : 'upstream trouble');
    }
    if (failure) return json(res, { ok: false, error: failure.error });
    json(res, this.answer(method, params, token));
  }

  private answer(method: string, p: Record<string, unknown>, token: string | null): Record<string, unknown> {
    const expected = method === 'apps.connections.open' ? 'xapp-' : 'xoxb-';
    if (!token?.startsWith(expected)) return { ok: false, error: 'not_authed' };
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://fake.slack.test/', team: 'Fake', user: 'skadi', team_id: this.teamId, user_id: this.botUserId, bot_id: this.botId };
      case 'apps.connections.open':
        return { ok: true, url: `ws://127.0.0.1:${this.port}/link?ticket=${this.tsCounter}` };
      case 'users.info': {
        const name = this.users[String(p.user)];
        if (name === undefined) return { ok: false, error: 'user_not_found' };
        return { ok: true, user: { id: p.user, team_id: this.teamId, name: String(p.user).toLowerCase(), real_name: name, profile: { display_name: name, real_name: name } } };
      }
      case 'chat.postMessage':
        return this.post(p);
      case 'chat.update':
        return this.update(p);
      case 'chat.postEphemeral':
        return { ok: true, message_ts: this.nextTs() };
      case 'files.getUploadURLExternal':
        return this.uploadTicket(p);
      case 'files.completeUploadExternal':
        return this.completeUpload(p);
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private post(p: Record<string, unknown>): Record<string, unknown> {
    const problem = checkMessage(p);
    if (problem) return { ok: false, error: problem };
    const message: FakeSlackMessage = { channel: String(p.channel), ts: this.nextTs(), text: String(p.text ?? ''), edited: false };
    if (typeof p.thread_ts === 'string') message.threadTs = p.thread_ts;
    if (Array.isArray(p.blocks)) message.blocks = p.blocks as FakeSlackMessage['blocks'];
    this.history.push(message);
    return { ok: true, channel: message.channel, ts: message.ts, message: { text: message.text, ts: message.ts, user: this.botUserId, bot_id: this.botId } };
  }

  private update(p: Record<string, unknown>): Record<string, unknown> {
    const current = this.messages().find((m) => m.channel === p.channel && m.ts === p.ts);
    if (!current || current.file) return { ok: false, error: current ? 'cant_update_message' : 'message_not_found' };
    const problem = checkMessage(p);
    if (problem) return { ok: false, error: problem };
    const next: FakeSlackMessage = { ...current, text: String(p.text ?? ''), edited: true };
    if (Array.isArray(p.blocks)) next.blocks = p.blocks as FakeSlackMessage['blocks'];
    else delete next.blocks;
    this.history.push(next);
    return { ok: true, channel: current.channel, ts: current.ts, text: next.text };
  }

  private uploadTicket(p: Record<string, unknown>): Record<string, unknown> {
    const length = Number(p.length);
    if (typeof p.filename !== 'string' || !Number.isInteger(length) || length < 0) return { ok: false, error: 'invalid_arguments' };
    this.fileCounter += 1;
    const id = `F${String(this.fileCounter).padStart(8, '0')}`;
    this.uploads.set(id, { filename: p.filename, length });
    return { ok: true, upload_url: `http://127.0.0.1:${this.port}/upload/${id}`, file_id: id };
  }

  private receiveUpload(id: string, raw: Buffer, res: ServerResponse): void {
    const upload = this.uploads.get(id);
    this.calls.push({ method: 'upload', params: { id, bytes: raw.length }, token: null, at: Date.now(), status: upload ? 200 : 404 });
    if (!upload) return send(res, 404, 'no such upload');
    upload.content = raw;
    send(res, 200, `OK - ${raw.length}`);
  }

  private completeUpload(p: Record<string, unknown>): Record<string, unknown> {
    const files = Array.isArray(p.files) ? (p.files as Array<{ id?: string; title?: string }>) : [];
    if (files.length === 0) return { ok: false, error: 'invalid_arguments' };
    const done = [];
    for (const f of files) {
      const upload = f.id ? this.uploads.get(f.id) : undefined;
      if (!upload?.content) return { ok: false, error: 'file_not_found' };
      if (upload.content.length !== upload.length) return { ok: false, error: 'file_size_mismatch' };
      const content = upload.content.toString('utf8');
      if (typeof p.channel_id === 'string') {
        const message: FakeSlackMessage = { channel: p.channel_id, ts: this.nextTs(), text: String(p.initial_comment ?? ''), edited: false, file: { id: f.id!, name: upload.filename, title: f.title ?? upload.filename, content } };
        if (typeof p.thread_ts === 'string') message.threadTs = p.thread_ts;
        this.history.push(message);
      }
      done.push({ id: f.id, title: f.title ?? upload.filename });
    }
    return { ok: true, files: done };
  }
}

/** What a person sees of a message: its blocks' text (or `text` without blocks), unescaped. */
export function shownText(message: Pick<FakeSlackMessage, 'text' | 'blocks'>): string {
  if (!message.blocks?.length) return unescape(message.text);
  const parts: string[] = [];
  for (const block of message.blocks) {
    const b = block as { text?: { text?: string }; fields?: Array<{ text?: string }>; elements?: Array<{ elements?: Array<{ text?: string }>; text?: unknown }> };
    if (block.type === 'section') {
      if (b.text?.text) parts.push(b.text.text);
      for (const field of b.fields ?? []) if (field.text) parts.push(field.text);
    } else if (block.type === 'rich_text') {
      for (const element of b.elements ?? []) parts.push((element.elements ?? []).map((e) => e.text ?? '').join(''));
    }
  }
  return unescape(parts.join('\n'));
}

function unescape(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The checks Slack makes that a renderer could trip over. */
function checkMessage(p: Record<string, unknown>): string | null {
  if (typeof p.channel !== 'string' || p.channel === '') return 'channel_not_found';
  if (typeof p.text === 'string' && p.text.length > BLOCK_LIMITS.text) return 'msg_too_long';
  if (p.blocks === undefined) return typeof p.text === 'string' && p.text !== '' ? null : 'no_text';
  if (!Array.isArray(p.blocks) || p.blocks.length > BLOCK_LIMITS.blocks) return 'invalid_blocks';
  for (const block of p.blocks as Array<{ type?: string; text?: { text?: unknown }; fields?: Array<{ text?: unknown }> }>) {
    if (block.type === 'section') {
      const text = block.text?.text;
      if (text !== undefined && (typeof text !== 'string' || text.length === 0 || text.length > BLOCK_LIMITS.section)) return 'invalid_blocks';
      if ((block.fields ?? []).some((f) => typeof f.text !== 'string' || f.text.length > BLOCK_LIMITS.field) || (block.fields?.length ?? 0) > 10) return 'invalid_blocks';
    }
  }
  return null;
}

/** WebClient posts form-urlencoded, with objects (blocks, files) as JSON strings. */
function parseParams(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (raw === '') return {};
  const params: Record<string, unknown> = contentType?.includes('application/json') ? (JSON.parse(raw) as Record<string, unknown>) : Object.fromEntries(new URLSearchParams(raw));
  for (const key of ['blocks', 'files', 'attachments']) {
    if (typeof params[key] === 'string') params[key] = JSON.parse(params[key]);
  }
  return params;
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(body);
}

/** Starts a fake Slack Web API on an ephemeral loopback port. */
export function startFakeSlackApi(options: FakeSlackOptions = {}): Promise<FakeSlackApi> {
  return new FakeSlackApi(options).start();
}
