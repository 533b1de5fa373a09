import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/index.js';
import { loadConfig } from '../../src/config/load-config.js';
import { startServer, type SkadiServer } from '../../src/main.js';
import { SKADI_VERSION } from '../../src/version.js';
import { readEventStream, type StreamedEvent } from '../../src/cli/event-stream-client.js';
import { openWebChatTab, type WebChatTab } from '../helpers/serve-web-client.js';
import { eventually, tempDir } from '../helpers/skadi-process.js';

/** The value of one sample line of the exposition, e.g. `skadi_jobs{state="succeeded"}`; NaN when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : Number.NaN;
}

/**
 * A whole server in this process (startServer on a loadConfig config, SQLite, the embedded demo
 * agent): run jobs, then scrape /metrics and check the counters; take an agent offline and see the
 * fleet events in the watch stream and in the `watch.notify` conversation.
 */
describe('fleet: /metrics after a run of jobs, watch events, watch.notify', () => {
  const dir = tempDir('skadi-fleet-');
  let server: SkadiServer;
  let user: string;
  let ops: WebChatTab;
  const streamed: StreamedEvent[] = [];
  const stopStream = new AbortController();
  let streaming: Promise<void>;
  const api = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json', ...init.headers } });

  beforeAll(async () => {
    const config = loadConfig({
      env: {
        SKADI_DATABASE_URL: `sqlite:${join(dir, 'skadi.db')}`,
        SKADI_DATA_DIR: dir,
        SKADI_PORT: '0',
        SKADI_LOG_LEVEL: 'silent',
        // A short offline threshold, with polls answered often enough that the demo agent stays online.
        SKADI_OFFLINE_AFTER: '3s',
        SKADI_POLL_WAIT_MAX: '500ms',
        SKADI_TIMER_INTERVAL: '100ms',
        SKADI_WATCH_DRIFT_INTERVAL: '100ms',
        SKADI_WATCH_NOTIFY: JSON.stringify({ platform: 'web', conversationId: 'admin/fleet-ops' }),
      },
    });
    server = await startServer(config, { logger: silentLogger });
    user = (await server.tokens.create('user', 'api:ci', 'ci')).token;
    ops = await openWebChatTab(server.url, 'admin', readFileSync(join(dir, 'web-admin-token'), 'utf8').trim(), 'fleet-ops');
    const res = await eventually(async () => {
      const r = await api('/api/v1/agents?selector=local');
      const body = (await r.json()) as { agents: Array<{ status: string }> };
      return body.agents[0]?.status === 'online' ? body : null;
    }, 20_000, 'demo agent online');
    expect(res.agents).toHaveLength(1);
    streaming = readEventStream({ url: `${server.url}/api/v1/events?types=EventAgentStatus,EventFleetDrift`, token: user, lastEventId: null, signal: stopStream.signal }, (e) => void streamed.push(e));
    await eventually(() => streamed.some((e) => e.event === 'ready'), 10_000, 'event stream ready');
  });

  afterAll(async () => {
    stopStream.abort();
    await streaming?.catch(() => undefined);
    ops?.close();
    await server?.close();
  });

  it('counts jobs by state, dispatch latency, replies per platform, agents online and bus lag', async () => {
    const before = await (await fetch(`${server.url}/metrics`)).text();
    // Three jobs from the web chat (replied to in their threads) and two from the API (no thread).
    for (const word of ['one', 'two', 'three']) await ops.post(`local echo ${word}`);
    const ids: string[] = [];
    for (const word of ['four', 'five']) ids.push(((await (await api('/api/v1/jobs', { method: 'POST', body: JSON.stringify({ agent: 'local', message: `echo ${word}` }) })).json()) as { id: string }).id);
    for (const id of ids) expect(((await (await api(`/api/v1/jobs/${id}?wait=20`)).json()) as { state: string }).state).toBe('succeeded');
    await ops.waitForBot((m) => m.status === 'succeeded' && m.text.includes('three'));
    await eventually(() => [...ops.botMessages().values()].filter((m) => m.jobId && m.status === 'succeeded').length === 3, 10_000, 'three results in the web chat');

    const res = await fetch(`${server.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await res.text();
    expect(sample(text, 'skadi_jobs{state="succeeded"}')).toBe(5);
    expect(sample(text, 'skadi_jobs{state="failed"}')).toBe(0);
    expect(sample(text, 'skadi_dispatch_latency_seconds_count') - (sample(before, 'skadi_dispatch_latency_seconds_count') || 0)).toBe(5);
    expect(sample(text, 'skadi_dispatch_latency_seconds_bucket{le="+Inf"}')).toBe(sample(text, 'skadi_dispatch_latency_seconds_count'));
    expect(sample(text, 'skadi_dispatch_latency_seconds_sum')).toBeGreaterThanOrEqual(0);
    // Each chat job: an acknowledgement (send), the running update and the result (edits of it).
    expect(sample(text, 'skadi_replies_total{kind="send",outcome="sent",platform="web"}')).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'skadi_replies_total{kind="edit",outcome="sent",platform="web"}')).toBeGreaterThanOrEqual(3);
    expect(text).not.toContain('outcome="failed"');
    expect(sample(text, 'skadi_agents_online')).toBe(1);
    expect(sample(text, 'skadi_bus_lag_events')).toBeGreaterThanOrEqual(0);
    expect(sample(text, `skadi_build_info{version="${SKADI_VERSION}"}`)).toBe(1);
  });

  it('publishes an agent coming online, the version drift, the agent going offline and the fleet uniform again', async () => {
    await server.stores.agents.create({ name: 'edge-1', labels: { role: 'edge' }, createdAt: new Date() });
    await server.service.poll('edge-1', { wait: 0, max: 0, info: { version: '0.0.1-old' } });
    // No more polls from edge-1: it goes offline after 3 s.
    const names = () => streamed.filter((e) => e.event !== 'ready').map((e) => `${e.event}:${JSON.parse(e.data).to ?? Object.keys(JSON.parse(e.data).versions).join('+')}`);
    await eventually(() => names().length >= 4, 20_000, 'four fleet events');
    // Offline (the sweep) and uniform again (the drift check) are noticed by two timers, in either order.
    expect(names().slice(0, 2)).toEqual(['EventAgentStatus:online', `EventFleetDrift:0.0.1-old+${SKADI_VERSION}`]);
    expect(names().slice(2).sort()).toEqual(['EventAgentStatus:offline', `EventFleetDrift:${SKADI_VERSION}`]);
    const offline = JSON.parse(streamed.find((e) => e.event === 'EventAgentStatus' && JSON.parse(e.data).to === 'offline')!.data);
    expect(offline).toMatchObject({ agent: 'edge-1', from: 'online', to: 'offline', version: '0.0.1-old' });

    // The same events as notices in the watch.notify conversation of the web chat.
    await ops.waitForBot((m) => m.text === 'agent edge-1 is back online (version 0.0.1-old)');
    await ops.waitForBot((m) => m.text.startsWith('fleet version drift: 0.0.1-old on edge-1'));
    await ops.waitForBot((m) => m.text.startsWith('agent edge-1 is offline (last seen'));
    await ops.waitForBot((m) => m.text === `fleet runs one version again: ${SKADI_VERSION} on all 1 online agent(s)`);
  });
});
