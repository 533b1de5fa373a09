import { describe, expect, it } from 'vitest';
import { renderSlackMessage, SLACK_MAX_TEXT_LENGTH } from '../../../../adapters/slack/render.js';

describe('slack rendering', () => {
  it('renders status, escaped text, fields, output and buttons as Block Kit', () => {
    const rendered = renderSlackMessage({
      text: 'Job a1 running on local: echo <b>',
      status: 'running',
      fields: [
        { label: 'Agent', value: 'local' },
        { label: 'Requested by', value: 'Alice & Bob' },
      ],
      jobId: 'a1',
      code: { content: 'line <1>\nline 2', filename: 'a1.txt' },
      actions: [{ id: 'cancel', label: 'Cancel', jobId: 'a1' }],
    });
    expect(rendered.file).toBeUndefined();
    expect(rendered.posts).toHaveLength(1);
    const [post] = rendered.posts;
    expect(post!.text).toBe('Job a1 running on local: echo &lt;b&gt;');
    expect(post!.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: ':gear: Job a1 running on local: echo &lt;b&gt;', verbatim: true } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Agent*\nlocal', verbatim: true },
          { type: 'mrkdwn', text: '*Requested by*\nAlice &amp; Bob', verbatim: true },
        ],
      },
      // Preformatted rich text is literal: the output is not escaped.
      { type: 'rich_text', elements: [{ type: 'rich_text_preformatted', elements: [{ type: 'text', text: 'line <1>\nline 2' }] }] },
      {
        type: 'actions',
        block_id: 'skadi_actions',
        elements: [expect.objectContaining({ type: 'button', action_id: 'skadi_cancel', value: 'a1', style: 'danger', confirm: expect.any(Object) })],
      },
    ]);
  });

  it('sends output that does not fit as a file (a safe name) and says so in the message', () => {
    const content = 'x'.repeat(SLACK_MAX_TEXT_LENGTH);
    const rendered = renderSlackMessage({ text: 'Job b2 succeeded', status: 'succeeded', jobId: 'b2', code: { content, filename: '../etc/passwd' } });
    expect(rendered.file).toEqual({ filename: '_etc_passwd', title: '_etc_passwd', content });
    expect(rendered.posts[0]!.blocks).toHaveLength(1);
    expect(rendered.posts[0]!.text).toContain('attached below as _etc_passwd');
  });

  it('splits long text into numbered messages; buttons and fields stay on the first (the one edits target)', () => {
    const text = 'word '.repeat(2000).trim();
    const rendered = renderSlackMessage({ text, status: 'info', fields: [{ label: 'A', value: 'b' }], actions: [{ id: 'rerun', label: 'Run again', jobId: 'c3' }] });
    expect(rendered.posts.length).toBe(4);
    expect(rendered.posts.map((p) => p.text.slice(0, 6))).toEqual(['(1/4) ', '(2/4) ', '(3/4) ', '(4/4) ']);
    expect(rendered.posts[0]!.blocks.map((b) => b.type)).toEqual(['section', 'section', 'actions']);
    expect(rendered.posts[1]!.blocks.map((b) => b.type)).toEqual(['section']);
  });

  it('keeps each message within one section even when escaping lengthens it', () => {
    const text = '&'.repeat(2500);
    const rendered = renderSlackMessage({ text, status: 'error' });
    for (const post of rendered.posts) {
      const section = post.blocks[0] as { text: { text: string } };
      expect(section.text.text.length).toBeLessThanOrEqual(3000);
    }
    const back = rendered.posts.map((p) => p.text.replace(/^\(\d+\/\d+\) /, '').replace(/&amp;/g, '&')).join('');
    expect(back).toBe(text);
  });

  it('never sends an empty section (Slack refuses one)', () => {
    const rendered = renderSlackMessage({ text: '', status: 'info' });
    expect(rendered.posts[0]!.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '\u200b', verbatim: true } });
  });
});
