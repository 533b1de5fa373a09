import { afterEach, describe, expect, it, vi } from 'vitest';
import { validateSlackConfig } from '../../../../adapters/slack/slack-config.js';
import { createSlackStack } from '../../../../adapters/slack/slack-stack.js';
import { silentLogger, systemClock } from '../../../../src/core/index.js';
import { startFakeSlackApi } from '../../../helpers/slack-fake-api.js';
import { blockAction, eventEnvelope, mentionEvent, slashCommand } from '../../../helpers/slack-payloads.js';
import { startSlackRig, type SlackRig } from '../../../helpers/slack-test-rig.js';

const WAIT = { timeout: 5000, interval: 20 };

describe('slack adapter in Socket Mode (real Bolt app, local WebSocket peer)', () => {
  let rig: SlackRig;

  afterEach(async () => {
    await rig?.close();
  });

  it('opens the session with the app token (apps.connections.open, then hello)', async () => {
    rig = await startSlackRig({ mode: 'socket' });
    const open = rig.fake.callsOf('apps.connections.open');
    expect(open).toHaveLength(1);
    expect(open[0]!.token).toBe('xapp-1-test');
    expect(rig.fake.socket.open).toBe(1);
    // The bot found out who it is with the bot token.
    expect(rig.fake.callsOf('auth.test')[0]!.token).toBe('xoxb-test');
    expect(rig.stack.adapter.bot).toEqual({ botUserId: 'UBOT', teamId: 'TFAKE', botId: 'BBOT' });
  });

  it('acknowledges an events_api envelope with its envelope id once the job exists, and a redelivery makes no second job', async () => {
    rig = await startSlackRig({ mode: 'socket' });
    const payload = eventEnvelope(mentionEvent({ user: 'UALICE', text: '<@UBOT> local uptime', channel: 'COPS' }));
    const ack = await rig.fake.socket.send('events_api', payload, { envelopeId: 'env-1' });
    expect(ack.envelopeId).toBe('env-1');
    expect(rig.chat.jobs.submitted).toHaveLength(1);
    expect(rig.chat.jobs.submitted[0]!.requester).toEqual({ identity: 'slack:TFAKE/UALICE', displayName: 'Alice' });

    // Slack redelivers with a new envelope id and retry_attempt set.
    const again = await rig.fake.socket.send('events_api', payload, { envelopeId: 'env-2', retryAttempt: 1, retryReason: 'timeout' });
    expect(again.envelopeId).toBe('env-2');
    expect(rig.inbound).toHaveLength(2);
    expect(rig.inbound[0]!.id).toBe(rig.inbound[1]!.id);
    expect(rig.chat.jobs.submitted).toHaveLength(1);
  });

  it('leaves an envelope unacknowledged when the dispatcher cannot take it, and takes the redelivery', async () => {
    let failures = 1;
    rig = await startSlackRig({
      mode: 'socket',
      beforeDispatch: async () => {
        if (failures-- > 0) throw new Error('database unavailable');
      },
    });
    const payload = eventEnvelope(mentionEvent({ user: 'UALICE', text: '<@UBOT> local uptime' }));
    await expect(rig.fake.socket.send('events_api', payload, { ackTimeoutMs: 700 })).rejects.toThrow(/not acknowledged/);
    expect(rig.chat.jobs.submitted).toEqual([]);
    await rig.fake.socket.send('events_api', payload, { retryAttempt: 1, retryReason: 'timeout' });
    expect(rig.chat.jobs.submitted).toHaveLength(1);
  });

  it('acknowledges a slash command with the ephemeral answer in the ack payload, then runs it in a new thread', async () => {
    rig = await startSlackRig({ mode: 'socket' });
    const ack = await rig.fake.socket.send('slash_commands', slashCommand({ user: 'UALICE', text: 'local uptime', channel: 'COPS' }));
    expect(ack.payload).toEqual({ response_type: 'ephemeral', text: expect.stringContaining('new thread in this channel') });
    await vi.waitFor(() => expect(rig.chat.jobs.submitted).toHaveLength(1), WAIT);
    const root = rig.fake.messages().find((m) => m.channel === 'COPS' && !m.threadTs)!;
    expect(rig.chat.jobs.submitted[0]!.thread).toMatchObject({ conversationId: 'COPS', threadId: root.ts });
  });

  it('acknowledges a button click and turns it into the command', async () => {
    rig = await startSlackRig({ mode: 'socket' });
    const job = rig.chat.jobs.addJob({ agent: 'local', requester: { identity: 'slack:TFAKE/UALICE', displayName: 'Alice' } });
    const ack = await rig.fake.socket.send('interactive', blockAction({ user: 'UALICE', actionId: 'skadi_cancel', value: job.id, channel: 'COPS', messageTs: '1700000000.000300' }));
    expect(ack.envelopeId).toBeTruthy();
    await vi.waitFor(() => expect(rig.chat.jobs.jobs.get(job.id)!.state).toBe('cancelled'), WAIT);
    expect(rig.inbound[0]).toMatchObject({ text: `cancel ${job.id}`, thread: { conversationId: 'COPS', threadId: '1700000000.000300' } });
  });

  it('reconnects when Slack asks it to (disconnect message) and keeps delivering', async () => {
    // The SDK waits one client ping timeout before reconnecting; shortened here.
    rig = await startSlackRig({ mode: 'socket', stack: { clientPingTimeoutMs: 300 } });
    rig.fake.socket.disconnectAll();
    await vi.waitFor(() => expect(rig.fake.callsOf('apps.connections.open')).toHaveLength(2), WAIT);
    await vi.waitFor(() => expect(rig.fake.socket.open).toBe(1), WAIT);
    await rig.fake.socket.send('events_api', eventEnvelope(mentionEvent({ user: 'UALICE', text: '<@UBOT> local date' })));
    expect(rig.chat.jobs.submitted).toHaveLength(1);
  });

  it('closes the session on stop', async () => {
    rig = await startSlackRig({ mode: 'socket' });
    await rig.stack.adapter.stop();
    await vi.waitFor(() => expect(rig.fake.socket.open).toBe(0), WAIT);
    await expect(rig.fake.socket.send('events_api', eventEnvelope(mentionEvent({ user: 'UALICE', text: '<@UBOT> local date' })))).rejects.toThrow();
    expect(rig.inbound).toEqual([]);
  });
});

describe('slack adapter start-up failures', () => {
  it('fails to start, naming Slack\'s error, when a token is refused', async () => {
    const fake = await startFakeSlackApi();
    try {
      const socket = createSlackStack(validateSlackConfig({ mode: 'socket', botToken: 'xoxb-1', appToken: 'xapp-1', apiUrl: fake.apiUrl }), { clock: systemClock, logger: silentLogger });
      fake.failNext('apps.connections.open', { error: 'invalid_auth' });
      await expect(socket.adapter.start(async () => undefined)).rejects.toThrow(/could not connect \(socket mode\).*invalid_auth/);
      expect(fake.socket.open).toBe(0);

      const http = createSlackStack(validateSlackConfig({ mode: 'http', botToken: 'xoxb-1', signingSecret: 'secret-for-tests', apiUrl: fake.apiUrl }), { clock: systemClock, logger: silentLogger });
      fake.failNext('auth.test', { error: 'invalid_auth' });
      await expect(http.adapter.start(async () => undefined)).rejects.toThrow(/auth.test failed: invalid_auth/);
    } finally {
      await fake.close();
    }
  });
});
