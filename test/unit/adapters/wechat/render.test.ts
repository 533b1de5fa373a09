import { describe, expect, it } from 'vitest';
import { isOutputPiece, renderBody, renderWechatText } from '../../../../adapters/wechat/render.js';
import type { OutboundMessage } from '../../../../src/core/index.js';

const result: OutboundMessage = {
  text: 'Job k3j4h5m6n7p8 on local succeeded (exit 0, 12 ms): uptime',
  status: 'succeeded',
  fields: [
    { label: 'Agent', value: 'local' },
    { label: 'Requested by', value: 'Alice' },
    { label: 'Exit code', value: '0' },
    { label: 'Duration', value: '12 ms' },
  ],
  jobId: 'k3j4h5m6n7p8',
  actions: [{ id: 'rerun', label: 'Run again', jobId: 'k3j4h5m6n7p8' }],
  code: { content: ' 10:00:00 up 3 days\n', filename: 'k3j4h5m6n7p8.txt' },
};

describe('renderBody', () => {
  it('shows the headline, the fields it does not already state, how to act, then the output', () => {
    expect(renderBody(result, 'Skadi')).toBe(
      '✅ Job k3j4h5m6n7p8 on local succeeded (exit 0, 12 ms): uptime\nRequested by: Alice\nRun again: "@Skadi rerun k3j4h5m6n7p8"\n\n 10:00:00 up 3 days\n',
    );
  });

  it('names the job when the text does not: [job <id>]', () => {
    expect(renderBody({ text: 'The output follows in 3 messages.', jobId: 'abc123' })).toBe('[job abc123] The output follows in 3 messages.');
    expect(renderBody({ text: 'No job here' })).toBe('No job here');
  });

  it('writes the hint without a mention in a direct chat', () => {
    expect(renderBody({ text: 'Job x1 queued for local: uptime', status: 'queued', jobId: 'x1', actions: [{ id: 'cancel', label: 'Cancel', jobId: 'x1' }] })).toBe(
      'Job x1 queued for local: uptime\nCancel: "cancel x1"',
    );
  });
});

describe('renderWechatText', () => {
  it('puts the mention in front of a reply that fits', () => {
    expect(renderWechatText({ text: 'hello' }, { limit: 2000, mentionName: 'Alice' })).toEqual([{ text: '@Alice\u2005hello', mentions: true }]);
    expect(renderWechatText({ text: 'hello' }, { limit: 2000 })).toEqual([{ text: 'hello', mentions: false }]);
  });

  it('splits a long reply into numbered pieces within the limit, mention and job name on the first, text complete', () => {
    const content = Array.from({ length: 300 }, (_, i) => `line ${i} of the output`).join('\n');
    const pieces = renderWechatText({ ...result, code: { content } }, { limit: 500, mentionName: 'Alice', botName: 'Skadi' });
    expect(pieces.length).toBeGreaterThan(10);
    for (const piece of pieces) expect(piece.text.length).toBeLessThanOrEqual(500);
    expect(pieces[0]!.text.startsWith('@Alice\u2005(1/')).toBe(true);
    expect(pieces[0]!.text).toContain('Job k3j4h5m6n7p8');
    expect(pieces.slice(1).every((p) => !p.mentions && /^\(\d+\/\d+\) /.test(p.text))).toBe(true);
    const whole = pieces.map((p, i) => (i === 0 ? p.text.slice('@Alice\u2005'.length) : p.text).replace(/^\(\d+\/\d+\) /, '')).join('');
    expect(whole).toBe(renderBody({ ...result, code: { content } }, 'Skadi'));
  });

  it('knows the reply router\'s output pieces, which do not ping the requester again', () => {
    expect(isOutputPiece({ text: 'Output of job x (2/3)', status: 'info', jobId: 'x', code: { content: 'y' } })).toBe(true);
    expect(isOutputPiece(result)).toBe(false);
    expect(isOutputPiece({ text: 'Yes? Say "help"', status: 'info' })).toBe(false);
  });
});
