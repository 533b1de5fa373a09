import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One exchange the proxy forwarded, with the upstream's answer (bodies are small JSON here). */
export interface Exchange {
  method: string;
  path: string;
  status: number;
  body: string;
}

/** How matching requests fail while a failure window is open. */
export type Failure =
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  /** The request is held and never forwarded, until the client gives up (a stalled load balancer). */
  | { kind: 'hang' }
  /** The connection is reset without an answer. */
  | { kind: 'reset' };

export interface FaultProxyOptions {
  /**
   * Where requests go: one URL, or several (then it behaves as a load balancer: round robin, and a
   * request whose connection is refused goes to the next one — a process that is down).
   */
  targets: () => readonly string[];
  /**
   * Called with each forwarded exchange before its answer is passed on. Returning a number cuts
   * the link that many milliseconds right after this answer is delivered (a network drop
   * between this answer and the client's next request).
   */
  cutAfter?: (exchange: Exchange) => number | null;
  /** Longest a `hang` holds a request before dropping it (default 60 s): bounds every test. */
  maxHangMs?: number;
}

export interface FaultProxy {
  url: string;
  /** Drops every connection now and resets new ones for `ms` (a network partition). */
  cut(ms: number): void;
  /** Until `ms` from now, requests whose path matches fail as `failure`. */
  failFor(ms: number, failure: Failure, match?: RegExp): void;
  /** Counters for the report. */
  readonly stats: { forwarded: number; cuts: number; failed: number; reset: number };
  close(): Promise<void>;
}

/**
 * A reverse proxy on loopback that a test puts between two parties (an agent and its server,
 * the server and a chat platform's API) to break their link on purpose: partitions, dropped
 * connections right after a given answer, error statuses and stalls for a while.
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const state = { next: 0, cutUntil: 0, failure: null as null | { until: number; failure: Failure; match: RegExp } };
  const stats = { forwarded: 0, cuts: 0, failed: 0, reset: 0 };
  const sockets = new Set<Socket>();
  const upstreams = new Set<http.ClientRequest>();
  const hung = new Set<http.ServerResponse>();
  const maxHangMs = options.maxHangMs ?? 60_000;
  const cutActive = () => Date.now() < state.cutUntil;

  const dropAll = (): void => {
    for (const socket of sockets) socket.destroy();
    for (const upstream of upstreams) upstream.destroy();
  };

  const cut = (ms: number): void => {
    stats.cuts++;
    state.cutUntil = Math.max(state.cutUntil, Date.now() + ms);
    dropAll();
  };

  const server = http.createServer((req, res) => {
    if (cutActive()) {
      stats.reset++;
      req.socket.destroy();
      return;
    }
    const path = (req.url ?? '/').split('?')[0]!;
    const failing = state.failure && Date.now() < state.failure.until && state.failure.match.test(path) ? state.failure.failure : null;
    if (failing) {
      stats.failed++;
      req.resume();
      if (failing.kind === 'reset') return void req.socket.destroy();
      if (failing.kind === 'hang') {
        hung.add(res);
        const timer = setTimeout(() => res.destroy(), maxHangMs);
        res.on('close', () => {
          clearTimeout(timer);
          hung.delete(res);
        });
        return;
      }
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (failing.retryAfterSeconds !== undefined) headers['retry-after'] = String(failing.retryAfterSeconds);
      res.writeHead(failing.status, headers).end(failing.status === 429 ? '{"ok":false,"error":"ratelimited"}' : '{"ok":false,"error":"service_unavailable"}');
      return;
    }
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => forward(req, res, Buffer.concat(parts), 0));
  });

  /** Sends the buffered request to the next target; a refused connection tries the one after. */
  const forward = (req: http.IncomingMessage, res: http.ServerResponse, requestBody: Buffer, tried: number): void => {
    const targets = options.targets();
    if (targets.length === 0 || tried >= targets.length) {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end('{"code":"SKADI_UNAVAILABLE","message":"no upstream reachable (fault proxy)"}');
      return;
    }
    const target = targets[state.next++ % targets.length]!;
    const upstreamUrl = new URL(req.url ?? '/', target);
    const upstream = http.request(upstreamUrl, { method: req.method, headers: { ...req.headers, host: upstreamUrl.host, 'content-length': String(requestBody.length) } }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (part: Buffer) => chunks.push(part));
      answer.on('error', () => res.destroy());
      answer.on('end', () => {
        upstreams.delete(upstream);
        const body = Buffer.concat(chunks);
        stats.forwarded++;
        const exchange: Exchange = { method: req.method ?? 'GET', path: upstreamUrl.pathname, status: answer.statusCode ?? 0, body: body.toString('utf8') };
        const cutMs = options.cutAfter?.(exchange) ?? null;
        if (cutMs !== null) {
          // From now on nothing new gets through; the answer already on its way is delivered.
          state.cutUntil = Math.max(state.cutUntil, Date.now() + cutMs);
          stats.cuts++;
        }
        const headers = { ...answer.headers };
        delete headers['transfer-encoding'];
        headers['content-length'] = String(body.length);
        if (res.destroyed) return;
        res.writeHead(answer.statusCode ?? 502, headers);
        res.end(body);
        // Give the answer a moment to reach the client before the connections go down with a reset.
        if (cutMs !== null) res.on('finish', () => setTimeout(dropAll, 50));
      });
    });
    upstreams.add(upstream);
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      upstreams.delete(upstream);
      // Refused: nothing reached that process, so another may take the request (a load balancer's failover).
      if (err.code === 'ECONNREFUSED' && !res.destroyed) return forward(req, res, requestBody, tried + 1);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end('{"code":"SKADI_UNAVAILABLE","message":"upstream failed (fault proxy)"}');
      else res.destroy();
    });
    // The client hung up (an aborted long-poll): hang up upstream too.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(requestBody);
  };
  server.on('connection', (socket: Socket) => {
    if (cutActive()) {
      stats.reset++;
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    cut,
    failFor(ms, failure, match = /.*/) {
      state.failure = { until: Date.now() + ms, failure, match };
    },
    stats,
    close() {
      for (const res of hung) res.destroy();
      dropAll();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
