import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CHANNEL, postActivity, teamsMessage } from '../helpers/teams-activities.js';
import { startFakeConnector, type ConnectorRecord, type FakeConnector } from '../helpers/teams-fake-connector.js';
import { eventually, startServe, tempDir, writeConfig, type SkadiProcess } from '../helpers/skadi-process.js';

const ALICE = '6c4b2f0e-9a1d-4e3b-8f7c-2d5a6b8c9e01';
const MALLORY = '0d0d0d0d-1e1e-4f2f-8a3a-4b4b4b4b4b4b';

/** The last version of each message the bot sent into `conversationId`, in order of first appearance. */
function messagesIn(connector: FakeConnector, conversationId: string): ConnectorRecord[] {
  const latest = new Map<string, ConnectorRecord>();
  for (const record of connector.delivered()) {
    if (record.conversationId === conversationId && record.messageId) latest.set(record.messageId, record);
  }
  return [...latest.values()];
}

function cardText(record: ConnectorRecord): string {
  return JSON.stringify(record.card?.body ?? []);
}

/**
 * Issue 5, end to end: the built `skadi serve` with the Teams adapter on its own HTTP server,
 * the embedded demo agent `local`, and a fake Bot Connector standing in for Teams.
 */
describe('Teams: skadi serve + demo agent + a local Bot Connector', () => {
  const cwd = tempDir('skadi-e2e-teams-');
  let connector: FakeConnector;
  let server: SkadiProcess;

  beforeAll(async () => {
    connector = await startFakeConnector();
    const config = writeConfig(
      cwd,
      'skadi.yaml',
      `
teams:
  allowUnauthenticated: true   # tests only: there is no Azure here to sign tokens
access:
  rules:
    - who: ["teams:${ALICE}"]
      agents: [local]
      commands: ["*"]
`,
    );
    server = await startServe({ cwd, env: { SKADI_DATA_DIR: join(cwd, 'data') }, args: ['--config', config] });
  });

  afterAll(async () => {
    await server?.stop();
    await connector?.close();
  });

  it('an @mention in a channel runs `local uptime`; the reply lands in the same thread and is updated to the result', async () => {
    const activity = teamsMessage({ serviceUrl: connector.serviceUrl, text: 'local uptime', user: ALICE, userName: 'Alice' });
    const res = await postActivity(server.url, activity);
    expect(res.status, res.body).toBe(200);
    // Teams retries an activity it got no timely answer for: the same id never makes a second job.
    expect((await postActivity(server.url, activity)).status).toBe(200);

    const root = activity.id as string;
    const thread = `${TEST_CHANNEL};messageid=${root}`;
    const [status] = await eventually(
      () => {
        const messages = messagesIn(connector, thread);
        return messages.length > 0 && cardText(messages[0]!).includes('Succeeded') ? messages : null;
      },
      20_000,
      `the result in ${thread}:\n${server.output()}`,
    );
    const history = connector.records.filter((r) => r.messageId === status!.messageId);
    expect(history[0]).toMatchObject({ method: 'POST', replyToId: root, urlActivityId: root });
    expect(cardText(history[0]!)).toContain('Queued');
    expect(history.at(-1)!.method).toBe('PUT');
    const code = (status!.card!.body as Array<Record<string, unknown>>).find((e) => e.type === 'CodeBlock');
    expect(code?.codeSnippet).toMatch(/load average/);
    expect(cardText(status!)).toContain('"title":"Agent","value":"local"');
    expect(cardText(status!)).toContain('Duration');

    // One job, one status message: the retried activity was dropped.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(messagesIn(connector, thread)).toHaveLength(1);
    expect(connector.delivered().filter((r) => r.method === 'POST' && r.conversationId === thread)).toHaveLength(1);
  });

  it('refuses a Teams user the access rules do not list, in the thread, without running anything', async () => {
    const activity = teamsMessage({ serviceUrl: connector.serviceUrl, text: 'local uptime', user: MALLORY });
    expect((await postActivity(server.url, activity)).status).toBe(200);
    const thread = `${TEST_CHANNEL};messageid=${activity.id as string}`;
    const [refusal] = await eventually(() => {
      const messages = messagesIn(connector, thread);
      return messages.length > 0 ? messages : null;
    }, 10_000, 'the refusal');
    expect(refusal!.text).toMatch(/^Sorry, /);
    expect(cardText(refusal!)).toContain('Refused');
  });
});
