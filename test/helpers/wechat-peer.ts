import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, ROOT } from './skadi-process.js';

/** The puppet module `skadi serve` loads in end-to-end tests (`wechat.puppet: <this path>`). */
export const PEER_PUPPET = join(ROOT, 'test/fixtures/wechat/peer-puppet.mjs');

export interface PeerSent {
  id: string;
  conversationId: string;
  text: string;
  mentionIdList: string[];
}

/** The control API of test/fixtures/wechat/peer-puppet.mjs: WeChat as the people and the phone see it. */
export interface WechatPeer {
  addContact(id: string, name: string): Promise<void>;
  addRoom(id: string, topic: string, members: string[]): Promise<void>;
  /** The puppet shows a login QR code (status 2 = waiting). */
  scan(qrcode: string): Promise<void>;
  login(botId: string): Promise<void>;
  logout(reason?: string): Promise<void>;
  /** A person writes into a room (mentioning the bot or not) or to the bot; returns the message id. The same `id` again is WeChat delivering it twice. */
  say(input: { from: string; to: string; text: string; mention?: boolean; id?: string }): Promise<string>;
  /** What the bot sent, oldest first. */
  sent(): Promise<PeerSent[]>;
}

async function call<T>(port: number, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(`peer ${method} ${path}: ${res.status} ${json.error ?? ''}`);
  return json;
}

/**
 * Connects to the peer of a starting server: waits for the control file the puppet writes when
 * the server starts it (delete the file before restarting a server: the new one writes a new port).
 */
export async function connectWechatPeer(controlFile: string, timeoutMs = 30_000): Promise<WechatPeer> {
  const port = await eventually(() => (existsSync(controlFile) ? (JSON.parse(readFileSync(controlFile, 'utf8')) as { port: number }).port : null), timeoutMs, `the WeChat peer's control file ${controlFile}`);
  const post = (path: string, body: unknown) => call<{ ok?: boolean; id?: string }>(port, 'POST', path, body);
  return {
    async addContact(id, name) {
      await post('/contacts', { id, name });
    },
    async addRoom(id, topic, members) {
      await post('/rooms', { id, topic, members });
    },
    async scan(qrcode) {
      await post('/scan', { qrcode, status: 2 });
    },
    async login(botId) {
      await post('/login', { id: botId });
    },
    async logout(reason) {
      await post('/logout', { reason });
    },
    async say(input) {
      return (await post('/messages', input)).id!;
    },
    sent: () => call<PeerSent[]>(port, 'GET', '/sent'),
  };
}
