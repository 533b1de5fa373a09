import { describe, expect, it } from 'vitest';
import { AdapterError, silentLogger, type EventAgentStatusPayload } from '../../../src/core/index.js';
import { createInProcessBus } from '../../../src/bus/in-process-bus.js';
import { createWatchNotifier } from '../../../src/watch/watch-notifier.js';
import { describeWatchEvent } from '../../../src/watch/describe-watch-event.js';
import { parseWatchNotify } from '../../../src/watch/watch-notify-target.js';
import { FakeChatAdapter } from '../../helpers/fake-chat-adapter.js';

const offline: EventAgentStatusPayload = { agent: 'web-1', from: 'online', to: 'offline', at: '2026-03-01T12:00:00.000Z', lastSeenAt: '2026-03-01T11:57:00.000Z', version: '1.2.0' };

describe('watch.notify', () => {
  it('posts agent status and drift to the configured thread through the hosting adapter', async () => {
    const bus = createInProcessBus();
    const slack = new FakeChatAdapter({ platform: 'slack' });
    const notifier = createWatchNotifier({ platform: 'slack', conversationId: 'C1', threadId: 't1' }, { bus, adapters: new Map([['slack', slack]]), logger: silentLogger });
    expect(await notifier.start()).toBe(true);
    await bus.publish('EventAgentStatus', offline, 'e1');
    await bus.publish('EventAgentStatus', { ...offline, from: 'offline', to: 'online', lastSeenAt: offline.at }, 'e2');
    await bus.publish('EventFleetDrift', { versions: { '1.2.0': ['web-1'], '1.3.0': ['db-1', 'web-2'] }, at: offline.at }, 'e3');
    expect(slack.inThread({ platform: 'slack', conversationId: 'C1', threadId: 't1' }).map((m) => m.text)).toEqual([
      'agent web-1 is offline (last seen 2026-03-01T11:57:00.000Z, version 1.2.0)',
      'agent web-1 is back online (version 1.2.0)',
      'fleet version drift: 1.2.0 on web-1; 1.3.0 on db-1, web-2',
    ]);
    await notifier.stop();
    await bus.close();
  });

  it('retries a failed post (the bus redelivers) and drops one the platform refuses for good', async () => {
    const bus = createInProcessBus();
    const slack = new FakeChatAdapter({ platform: 'slack' });
    const notifier = createWatchNotifier({ platform: 'slack', conversationId: 'C1' }, { bus, adapters: new Map([['slack', slack]]), logger: silentLogger });
    await notifier.start();
    slack.failNext(1);
    await expect(bus.publish('EventAgentStatus', offline, 'e1')).rejects.toThrow(AdapterError);
    slack.failNext(1, new AdapterError('slack', 'channel_not_found', undefined, true));
    await expect(bus.publish('EventAgentStatus', offline, 'e2')).resolves.toBeUndefined();
    await notifier.stop();
  });

  it('does not subscribe in a process that does not run the platform', async () => {
    const bus = createInProcessBus();
    const notifier = createWatchNotifier({ platform: 'teams', conversationId: 'x' }, { bus, adapters: new Map(), logger: silentLogger });
    expect(await notifier.start()).toBe(false);
  });

  it('parses the config value from a map or JSON and refuses anything else', () => {
    expect(parseWatchNotify({ platform: 'web', conversationId: 'admin/ops' })).toEqual({ platform: 'web', conversationId: 'admin/ops' });
    expect(parseWatchNotify('{"platform":"slack","conversationId":"C1","threadId":"17.1"}')).toEqual({ platform: 'slack', conversationId: 'C1', threadId: '17.1' });
    expect(parseWatchNotify('')).toBeNull();
    expect(parseWatchNotify(null)).toBeNull();
    for (const bad of ['{', { platform: 'slack' }, { platform: 'Slack!', conversationId: 'C1' }, { platform: 'slack', conversationId: 'C1', channel: 'x' }, [1], 7]) expect(parseWatchNotify(bad)).toBeUndefined();
  });

  it('describes a large drift without listing every agent', () => {
    const names = Array.from({ length: 8 }, (_, i) => `web-${i}`);
    const line = describeWatchEvent({ name: 'EventFleetDrift', payload: { versions: { '1.0.0': names, '1.1.0': ['db-1'] }, at: 'x' } });
    expect(line?.text).toBe('fleet version drift: 1.0.0 on web-0, web-1, web-2, web-3, web-4 and 3 more; 1.1.0 on db-1');
    expect(describeWatchEvent({ name: 'EventFleetDrift', payload: { versions: { '1.1.0': ['a', 'b'] }, at: 'x' } })?.text).toBe('fleet runs one version again: 1.1.0 on all 2 online agent(s)');
    expect(describeWatchEvent({ name: 'EventMessage', payload: { message: {} as never, jobId: null, command: null } })).toBeNull();
  });
});
