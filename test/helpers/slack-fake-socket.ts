import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

export interface SocketAck {
  envelopeId: string;
  payload?: Record<string, unknown>;
}

export interface SendEnvelopeOptions {
  /** Reuse an envelope id (default: a fresh one, as Slack gives each redelivery). */
  envelopeId?: string;
  retryAttempt?: number;
  retryReason?: string;
  /** Reject when no ack came by then (default 3 s, Slack's deadline). */
  ackTimeoutMs?: number;
}

/**
 * Slack's side of a Socket Mode session, on the fake API's HTTP server: the client connects to
 * the URL apps.connections.open gave it, gets `hello`, then envelopes (`events_api`,
 * `slash_commands`, `interactive`) which it must acknowledge with their envelope id.
 */
export class FakeSlackSocket {
  readonly acks: SocketAck[] = [];
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<WebSocket>();
  private readonly waiting = new Map<string, (ack: SocketAck) => void>();
  private readonly connectedWaiters: Array<() => void> = [];
  connections = 0;

  constructor(server: Server, readonly path: string) {
    this.wss = new WebSocketServer({ server, path });
    this.wss.on('connection', (ws) => {
      this.clients.add(ws);
      this.connections += 1;
      // Slack pings its clients; the SDK reconnects when pings stop for 30 s.
      const pinger = setInterval(() => ws.ping(), 2000);
      pinger.unref();
      ws.on('close', () => {
        clearInterval(pinger);
        this.clients.delete(ws);
      });
      ws.on('message', (data) => this.onMessage(String(data)));
      ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake', approximate_connection_time: 3600 }, connection_info: { app_id: 'AFAKE' } }));
      for (const waiter of this.connectedWaiters.splice(0)) waiter();
    });
  }

  /** Open sessions right now. */
  get open(): number {
    return this.clients.size;
  }

  /** Resolves when at least one client is connected. */
  connected(timeoutMs = 5000): Promise<void> {
    if (this.clients.size > 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no socket mode client connected')), timeoutMs);
      this.connectedWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Sends one envelope to the (first) connected client and resolves with its ack. */
  send(type: 'events_api' | 'slash_commands' | 'interactive', payload: Record<string, unknown>, options: SendEnvelopeOptions = {}): Promise<SocketAck> {
    const ws = [...this.clients][0];
    if (!ws) return Promise.reject(new Error('no socket mode client connected'));
    const envelopeId = options.envelopeId ?? randomBytes(8).toString('hex');
    const envelope: Record<string, unknown> = { type, envelope_id: envelopeId, payload, accepts_response_payload: type !== 'events_api' };
    if (type === 'events_api') {
      envelope.retry_attempt = options.retryAttempt ?? 0;
      envelope.retry_reason = options.retryReason ?? '';
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(envelopeId);
        reject(new Error(`envelope ${envelopeId} was not acknowledged`));
      }, options.ackTimeoutMs ?? 3000);
      this.waiting.set(envelopeId, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
      ws.send(JSON.stringify(envelope));
    });
  }

  /** Asks the clients to reconnect, as Slack does when it recycles a connection. */
  disconnectAll(): void {
    for (const ws of this.clients) ws.send(JSON.stringify({ type: 'disconnect', reason: 'refresh_requested' }));
  }

  close(): void {
    for (const ws of this.clients) ws.terminate();
    this.wss.close();
  }

  private onMessage(text: string): void {
    let message: { envelope_id?: unknown; payload?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    if (typeof message.envelope_id !== 'string') return;
    const ack: SocketAck = { envelopeId: message.envelope_id };
    if (message.payload && typeof message.payload === 'object') ack.payload = message.payload as Record<string, unknown>;
    this.acks.push(ack);
    this.waiting.get(ack.envelopeId)?.(ack);
    this.waiting.delete(ack.envelopeId);
  }
}
