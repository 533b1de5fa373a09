import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy tells `onResponse` about one forwarded exchange. */
export interface ProxiedExchange {
  method: string;
  path: string;
  status: number;
}

export interface HttpProxy {
  /** The proxy's own base URL, to give to the client (e.g. an agent's --server). */
  url: string;
  /** Where requests go now; change it when the upstream comes back on another port. */
  target: string;
  close(): Promise<void>;
}

/**
 * A minimal reverse proxy on loopback for fault tests. `onResponse` runs the moment the
 * upstream's answer arrives, before a byte of it is passed on, so a test can act (kill the
 * upstream, say) exactly between the upstream committing a request and the client learning
 * of it. While the upstream is unreachable, clients get 502.
 */
export async function startHttpProxy(options: { target: string; onResponse?: (exchange: ProxiedExchange) => void }): Promise<HttpProxy> {
  const state = { target: options.target };
  const server = http.createServer((req, res) => {
    const upstream = new URL(req.url ?? '/', state.target);
    const forward = http.request(upstream, { method: req.method, headers: { ...req.headers, host: upstream.host } }, (answer) => {
      options.onResponse?.({ method: req.method ?? 'GET', path: upstream.pathname, status: answer.statusCode ?? 0 });
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'SKADI_UNAVAILABLE', message: 'upstream unreachable (test proxy)' }));
      else res.destroy();
    });
    req.pipe(forward);
    // The client hung up (an aborted long-poll): hang up upstream too.
    res.on('close', () => {
      if (!res.writableFinished) forward.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get target() {
      return state.target;
    },
    set target(value: string) {
      state.target = value;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
