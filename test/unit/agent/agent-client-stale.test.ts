import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgentClient, type AgentClient } from '../../../src/agent/agent-client.js';

let server: Server | undefined;
let client: AgentClient | undefined;
const sockets = new Set<Socket>();

afterEach(async () => {
  client?.close();
  client = undefined;
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/**
 * A bare HTTP/1.1 server: answers `{}` with keep-alive while `state.up`, and resets every
 * connection that sends a request while it is down — what an agent sees when the network drops
 * after its kept-alive connections were opened.
 */
async function flakyServer(state: { up: boolean; answered: number }): Promise<string> {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    socket.on('data', (data) => {
      buffer += data.toString('latin1');
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(buffer.slice(0, end))?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      buffer = buffer.slice(end + 4 + length);
      if (!state.up) return void socket.resetAndDestroy();
      state.answered++;
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\n{}');
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('agent client on connections that die', () => {
  it('never reports an ack as done when every kept-alive connection was reset (it throws, so the ack is retried)', async () => {
    const state = { up: true, answered: 0 };
    client = createAgentClient({ server: await flakyServer(state), token: 't' });
    // Four requests at once leave four idle kept-alive sockets in the pool.
    await Promise.all([1, 2, 3, 4].map((i) => client!.ack(`j${i}`, { lease: 'l' })));
    expect(state.answered).toBe(4);
    state.up = false;
    await expect(client.ack('j5', { lease: 'l' })).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(state.answered).toBe(4);
  });

  it('still sends a request again on a fresh connection when a kept-alive one turns out closed', async () => {
    const state = { up: true, answered: 0 };
    client = createAgentClient({ server: await flakyServer(state), token: 't' });
    await client.ack('j1', { lease: 'l' });
    // The server closed the idle connection meanwhile (its keep-alive timeout).
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await client.ack('j2', { lease: 'l' });
    expect(state.answered).toBe(2);
  });
});
