import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../../../src/metrics/registry.js';
import { meteredAdapter } from '../../../src/metrics/metered-adapter.js';
import { AdapterError, type ChatAdapter } from '../../../src/core/index.js';

describe('metrics registry (Prometheus text 0.0.4)', () => {
  it('renders counters, gauges and collected gauges with escaped labels', async () => {
    const r = createMetricsRegistry();
    const c = r.counter('skadi_things_total', 'Things.\nTwo lines.');
    c.inc({ platform: 'web', outcome: 'sent' });
    c.inc({ outcome: 'sent', platform: 'web' }, 2);
    c.inc({ platform: 'sl"ack\\', outcome: 'failed' });
    r.gauge('skadi_up', 'Up.').set(1);
    r.gauge('skadi_jobs', 'Jobs.', async () => [{ labels: { state: 'queuing' }, value: 3 }, { labels: { state: 'running' }, value: 0 }]);
    const text = await r.render();
    expect(text).toBe(
      [
        '# HELP skadi_things_total Things.\\nTwo lines.',
        '# TYPE skadi_things_total counter',
        'skadi_things_total{outcome="sent",platform="web"} 3',
        'skadi_things_total{outcome="failed",platform="sl\\"ack\\\\"} 1',
        '# HELP skadi_up Up.',
        '# TYPE skadi_up gauge',
        'skadi_up 1',
        '# HELP skadi_jobs Jobs.',
        '# TYPE skadi_jobs gauge',
        'skadi_jobs{state="queuing"} 3',
        'skadi_jobs{state="running"} 0',
        '',
      ].join('\n'),
    );
  });

  it('renders cumulative histogram buckets with +Inf, sum and count', async () => {
    const r = createMetricsRegistry();
    const h = r.histogram('skadi_latency_seconds', 'Latency.', [0.1, 1, 0.5]);
    for (const v of [0.05, 0.2, 0.7, 3]) h.observe(v);
    const text = await r.render();
    expect(text).toContain('skadi_latency_seconds_bucket{le="0.1"} 1\nskadi_latency_seconds_bucket{le="0.5"} 2\nskadi_latency_seconds_bucket{le="1"} 3\nskadi_latency_seconds_bucket{le="+Inf"} 4');
    expect(text).toContain('skadi_latency_seconds_sum 3.95');
    expect(text).toContain('skadi_latency_seconds_count 4');
  });

  it('keeps the scrape alive when a collector fails, and refuses bad names and negative counts', async () => {
    const r = createMetricsRegistry();
    r.gauge('skadi_lag', 'Lag.', async () => {
      throw new Error('database down');
    });
    expect(await r.render()).toContain('# skadi_lag unavailable: database down');
    expect(() => r.counter('bad-name', 'x')).toThrow(/bad metric name/);
    expect(() => r.counter('skadi_lag', 'x')).toThrow(/twice/);
    expect(() => r.counter('skadi_c', 'x').inc({}, -1)).toThrow(/cannot go down/);
  });
});

describe('meteredAdapter', () => {
  it('counts sends and edits by outcome and keeps edit absent when the adapter has none', async () => {
    const counted: string[] = [];
    let fail = false;
    const inner: ChatAdapter = {
      platform: 'web',
      capabilities: { threads: true, edit: true, files: false, buttons: false, maxTextLength: 100 },
      start: async () => undefined,
      stop: async () => undefined,
      send: async () => {
        if (fail) throw new AdapterError('web', 'down');
        return { messageId: 'm1' };
      },
      edit: async () => undefined,
    };
    const a = meteredAdapter(inner, (platform, kind, outcome) => counted.push(`${platform}/${kind}/${outcome}`));
    expect(await a.send({ platform: 'web', conversationId: 'c' }, { text: 'hi' })).toEqual({ messageId: 'm1' });
    await a.edit!({ platform: 'web', conversationId: 'c' }, 'm1', { text: 'hi' });
    fail = true;
    await expect(a.send({ platform: 'web', conversationId: 'c' }, { text: 'hi' })).rejects.toThrow(AdapterError);
    expect(counted).toEqual(['web/send/sent', 'web/edit/sent', 'web/send/failed']);
    const { edit: _edit, ...noEdit } = inner;
    expect(meteredAdapter(noEdit, () => undefined).edit).toBeUndefined();
    expect(a.capabilities.edit).toBe(true);
  });
});
