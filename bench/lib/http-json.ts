import http from 'node:http';

export interface JsonResponse {
  status: number;
  body: unknown;
}

/** POSTs JSON over a kept-alive connection of `agent` and parses the JSON answer. */
export function postJson(agent: http.Agent, url: URL, token: string, body: unknown, timeoutMs = 30_000): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(JSON.stringify(body));
    const req = http.request(url, {
      method: 'POST',
      agent,
      timeout: timeoutMs,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json', 'content-length': payload.length },
    });
    req.on('timeout', () => req.destroy(new Error(`POST ${url.pathname}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: text });
        }
      });
    });
    req.end(payload);
  });
}
