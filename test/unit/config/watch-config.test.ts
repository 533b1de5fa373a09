import { join } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';

describe('config: watch', () => {
  it('is off by default and checks drift every 30 s', () => {
    expect(loadConfig({ env: {} }).watch).toEqual({ notify: null, driftIntervalMs: 30_000 });
  });

  it('takes watch.notify from the file as a map and from the environment as JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skadi-watch-'));
    const file = join(dir, 'skadi.yaml');
    writeFileSync(file, 'watch:\n  notify: { platform: slack, conversationId: C0123, threadId: "1712.5" }\n  driftInterval: 5s\n');
    expect(loadConfig({ file, env: {} }).watch).toEqual({ notify: { platform: 'slack', conversationId: 'C0123', threadId: '1712.5' }, driftIntervalMs: 5000 });
    expect(loadConfig({ env: { SKADI_WATCH_NOTIFY: '{"platform":"web","conversationId":"admin/fleet-ops"}' } }).watch.notify).toEqual({ platform: 'web', conversationId: 'admin/fleet-ops' });
  });

  it('names the key and what was expected when the value is wrong', () => {
    expect(() => loadConfig({ env: { SKADI_WATCH_NOTIFY: '{"platform":"slack"}' } })).toThrow(/config watch\.notify: .* \(from environment\) is not valid: expected a map \{platform, conversationId, threadId\?\}/);
    expect(() => loadConfig({ env: { SKADI_WATCH_DRIFT_INTERVAL: 'often' } })).toThrow(/config watch\.driftInterval/);
  });
});
