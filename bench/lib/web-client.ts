import http from 'node:http';
import { monoMs } from './clock.js';

/** A bot or user message as it arrived on the web chat's event stream (SSE `message.new` / `message.edit`). */
export interface StreamedMessage {
  event: string;
  at: number;
  message: { id: string; threadId: string; author: { kind: string }; status?: string; jobId?: string; text: string };
}

/**
 * The web chat page's side of the chat path, in Node: logs in, opens the conversation's event
 * stream (`GET /web/api/events`), posts messages (`POST /web/api/messages`) as the page does.
 */
export class WebChatClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private cookie = '';
  private stream: http.ClientRequest | null = null;

  constructor(private readonly base: string, readonly conversationId: string) {}

  async login(user: string, token: string): Promise<void> {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const body = Buffer.from(JSON.stringify({ user, token }));
      const req = http.request(new URL('/web/api/login', this.base), { method: 'POST', agent: this.agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, resolve);
      req.on('error', reject);
      req.end(body);
    });
    res.resume();
    const set = res.headers['set-cookie']?.[0];
    if (res.statusCode !== 200 || !set) throw new Error(`web login answered ${res.statusCode}`);
    this.cookie = set.split(';')[0]!;
  }

  /** Opens the event stream; resolves on its `ready` event. */
  openStream(onMessage: (m: StreamedMessage) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const url = new URL(`/web/api/events?conversationId=${encodeURIComponent(this.conversationId)}`, this.base);
      const req = http.get(url, { agent: false, headers: { cookie: this.cookie, accept: 'text/event-stream' } });
      this.stream = req;
      req.on('error', reject);
      req.on('response', (res) => {
        if (res.statusCode !== 200) return reject(new Error(`event stream answered ${res.statusCode}`));
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          const at = monoMs();
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let event = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data.push(line.slice(6));
            }
            if (event === 'ready') resolve();
            else if (event.startsWith('message.') && data.length) onMessage({ event, at, message: JSON.parse(data.join('\n')) as StreamedMessage['message'] });
          }
        });
      });
    });
  }

  /** Posts a message as the page does; the answer is 202 once the dispatcher accepted it. */
  async post(clientMessageId: string, text: string): Promise<number> {
    const res = await new Promise<{ status: number }>((resolve, reject) => {
      const body = Buffer.from(JSON.stringify({ conversationId: this.conversationId, clientMessageId, text }));
      const req = http.request(new URL('/web/api/messages', this.base), { method: 'POST', agent: this.agent, headers: { cookie: this.cookie, 'content-type': 'application/json', 'content-length': body.length } }, (r) => {
        r.resume();
        r.on('end', () => resolve({ status: r.statusCode ?? 0 }));
      });
      req.on('error', reject);
      req.end(body);
    });
    return res.status;
  }

  close(): void {
    this.stream?.destroy();
    this.agent.destroy();
  }
}

