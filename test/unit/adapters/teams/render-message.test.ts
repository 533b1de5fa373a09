import { describe, expect, it } from 'vitest';
import { TEAMS_MAX_TEXT_LENGTH, renderTeamsMessage } from '../../../../adapters/teams/render-message.js';
import { renderQueued, renderResult } from '../../../../src/chat/render-job.js';
import { testJob } from '../../../helpers/memory-jobs-api.js';

const NOW = new Date('2026-03-02T10:00:00Z');

function finished(output: string | null) {
  return testJob({ agent: 'local', message: 'uptime', state: 'succeeded', exitCode: 0, output, runningAt: new Date(NOW.getTime() - 1500), finishedAt: NOW }, NOW);
}

function elements(card: Record<string, unknown>): Array<Record<string, unknown>> {
  return card.body as Array<Record<string, unknown>>;
}

describe('renderTeamsMessage', () => {
  it('renders a result as one Adaptive Card: status, headline, facts (agent, duration), output in a monospace block, a text fallback', () => {
    const output = ' 10:00:00 up 3 days,  2:01,  1 user,  load average: 0.10, 0.20, 0.30\n';
    const message = renderResult(finished(output), null, NOW);
    const [one, ...rest] = renderTeamsMessage(message, TEAMS_MAX_TEXT_LENGTH);
    expect(rest).toHaveLength(0);
    const body = elements(one!.card);
    expect(one!.card).toMatchObject({ type: 'AdaptiveCard', version: '1.5', msteams: { width: 'Full' } });
    expect(body[0]).toMatchObject({ type: 'TextBlock', text: '✅ Succeeded', color: 'Good' });
    expect(body[1]).toMatchObject({ type: 'TextBlock', text: message.text, wrap: true });
    const facts = body.find((e) => e.type === 'FactSet')!.facts as Array<{ title: string; value: string }>;
    expect(facts.map((f) => f.title)).toEqual(['Agent', 'Requested by', 'Exit code', 'Duration']);
    expect(facts[0]!.value).toBe('local');
    const code = body.find((e) => e.type === 'CodeBlock')!;
    expect(code).toMatchObject({ codeSnippet: output, language: 'PlainText', fallback: { type: 'TextBlock', fontType: 'Monospace', text: output } });
    expect(one!.fallbackText).toBe(`${message.text}\n\n${output}`);
    expect(one!.card.fallbackText).toBe(one!.fallbackText);
    expect(one!.summary).toBe(message.text.slice(0, 119) + (message.text.length > 120 ? '…' : ''));
    expect(one!.card.actions).toEqual([{ type: 'Action.Submit', title: 'Run again', data: { skadiAction: 'rerun', jobId: message.jobId } }]);
  });

  it('renders the acknowledgement with a Cancel button and no output block', () => {
    const [one] = renderTeamsMessage(renderQueued(finished(null)), TEAMS_MAX_TEXT_LENGTH);
    expect(elements(one!.card)[0]).toMatchObject({ text: '⏳ Queued' });
    expect(elements(one!.card).some((e) => e.type === 'CodeBlock')).toBe(false);
    expect(one!.card.actions).toEqual([expect.objectContaining({ title: 'Cancel', data: expect.objectContaining({ skadiAction: 'cancel' }) })]);
  });

  it('splits long output into numbered pieces after the status card, each within the limit, nothing lost', () => {
    const output = Array.from({ length: 400 }, (_, i) => `line ${i} 日本語テキスト ${'x'.repeat(i % 50)}`).join('\n');
    const message = renderResult(finished(output), null, NOW);
    const limit = 1000;
    const out = renderTeamsMessage(message, limit);
    expect(out.length).toBeGreaterThan(2);
    for (const piece of out) expect(piece.fallbackText.length).toBeLessThanOrEqual(limit);
    const [head, ...pieces] = out;
    expect(head!.fallbackText).toContain(`The output follows in ${pieces.length} messages.`);
    expect(elements(head!.card).some((e) => e.type === 'CodeBlock')).toBe(false);
    expect(head!.card.actions).toBeDefined();
    const snippets = pieces.map((p) => elements(p.card).find((e) => e.type === 'CodeBlock')!.codeSnippet as string);
    expect(snippets.join('')).toBe(output);
    pieces.forEach((p, i) => expect(p.fallbackText.startsWith(`(${i + 1}/${pieces.length}) `)).toBe(true));
  });

  it('splits text longer than the limit, the first piece carrying the status and buttons', () => {
    const text = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
    const out = renderTeamsMessage({ text, status: 'info', actions: [{ id: 'cancel', label: 'Cancel', jobId: 'j1' }] }, 500);
    expect(out.length).toBeGreaterThan(1);
    for (const piece of out) expect(piece.fallbackText.length).toBeLessThanOrEqual(500);
    expect(out[0]!.card.actions).toBeDefined();
    expect(out[1]!.card.actions).toBeUndefined();
    expect(out.map((p) => p.fallbackText.replace(/^\(\d+\/\d+\) /, '')).join('')).toBe(text);
  });

  it('keeps a card with CJK output under the Teams size limit by dropping the output from the fallback only', () => {
    const output = '漢'.repeat(TEAMS_MAX_TEXT_LENGTH - 300);
    const [one] = renderTeamsMessage(renderResult(finished(output), null, NOW), TEAMS_MAX_TEXT_LENGTH);
    const bytes = Buffer.byteLength(JSON.stringify(one!.card));
    expect(bytes).toBeLessThan(28 * 1024);
    expect(elements(one!.card).find((e) => e.type === 'CodeBlock')!.codeSnippet).toBe(output);
    expect(one!.fallbackText).toContain('(The output is shown in the card.)');
  });

  it('never breaks markup: output with card-like characters stays plain text in the CodeBlock', () => {
    const output = '**not bold** _nor italic_ <at>nobody</at> {"type":"AdaptiveCard"}';
    const [one] = renderTeamsMessage({ text: 'x', code: { content: output } }, TEAMS_MAX_TEXT_LENGTH);
    expect(elements(one!.card).find((e) => e.type === 'CodeBlock')!.codeSnippet).toBe(output);
  });
});
