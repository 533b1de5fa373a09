import { describe, expect, it } from 'vitest';
import { agentsCommand } from '../../../commands/index.js';
import { chatFixture } from '../../helpers/chat-fixture.js';

describe('agents <selector>', () => {
  it('uses the shared selector language: label sets, negation, several terms', async () => {
    const f = chatFixture();
    f.jobs.addAgent('web-1', { labels: { role: 'web', region: 'eu' } });
    f.jobs.addAgent('web-2', { labels: { role: 'web', region: 'us', canary: 'yes' } });
    f.jobs.addAgent('api-1', { labels: { role: 'api', region: 'eu' } });
    f.jobs.addAgent('db-1', { labels: { role: 'db' } });
    const names = async (selector: string) => (await agentsCommand.run(f.context('alice'), { selector })).text.split('\n').slice(1).map((line) => line.split(' ')[0]);
    expect(await names('role in (web, api)')).toEqual(['api-1', 'web-1', 'web-2']);
    expect(await names('role=web,!canary')).toEqual(['web-1']);
    expect(await names('region notin (us)')).toEqual(['api-1', 'db-1', 'web-1']);
    expect(await names('role=web,region=eu')).toEqual(['web-1']);
  });

  it('answers a selector that does not parse with the position, a caret and a hint', async () => {
    const f = chatFixture();
    f.jobs.addAgent('web-1', { labels: { role: 'web' } });
    const reply = await agentsCommand.run(f.context('alice'), { selector: 'role in (web' });
    expect(reply.status).toBe('error');
    expect(reply.text).toContain('the list is not closed at position 13');
    expect(reply.text).toContain('close it: role in (web)');
    expect(reply.code?.content).toBe('role in (web\n            ^');
  });

  it('shows agents granted by a label rule, and not the others', async () => {
    const f = chatFixture({ rules: [{ who: ['web:erin'], agents: ['role=web'], commands: ['agents'] }] });
    f.jobs.addAgent('web-1', { labels: { role: 'web' }, version: '1.4.0' });
    f.jobs.addAgent('db-1', { labels: { role: 'db' } });
    const reply = await agentsCommand.run(f.context('erin'), {});
    expect(reply.text).toContain('1 agent(s), 1 online');
    expect(reply.text).toContain('web-1  online  role=web  v1.4.0');
    expect(reply.text).not.toContain('db-1');
  });

  it('takes a selector with spaces as typed in chat', async () => {
    const f = chatFixture();
    f.jobs.addAgent('web-1', { labels: { role: 'web' } });
    f.jobs.addAgent('db-1', { labels: { role: 'db' } });
    const bound = f.registry.bind(f.registry.resolve('agents')!, ['role', 'in', '(db,', 'api)']);
    expect(bound).toMatchObject({ ok: true, args: { selector: 'role in (db, api)' } });
  });
});
