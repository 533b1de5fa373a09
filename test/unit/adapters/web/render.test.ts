import { describe, expect, it } from 'vitest';
import { renderWebMessage, safeFileName } from '../../../../adapters/web/render.js';

describe('renderWebMessage', () => {
  it('keeps status, title, fields, job id and actions', () => {
    const r = renderWebMessage(
      { text: 'Job abc running', status: 'running', title: 'web-1', fields: [{ label: 'agent', value: 'web-1' }], jobId: 'abc', actions: [{ id: 'cancel', label: 'Cancel', jobId: 'abc' }] },
      4000,
    );
    expect(r).toEqual({ text: 'Job abc running', status: 'running', title: 'web-1', fields: [{ label: 'agent', value: 'web-1' }], jobId: 'abc', actions: [{ id: 'cancel', label: 'Cancel', jobId: 'abc' }] });
  });

  it('sends output as a file, whatever its length', () => {
    const r = renderWebMessage({ text: 'done', jobId: 'abc', code: { content: 'up 3 days' } }, 4000);
    expect(r.files).toEqual([{ name: 'abc.txt', content: 'up 3 days', kind: 'output' }]);
    expect(renderWebMessage({ text: 'x', code: { content: 'y', filename: 'out.log' } }, 4000).files![0]!.name).toBe('out.log');
  });

  it('shortens an over-long text and attaches it whole', () => {
    const text = '👋'.repeat(150) + 'tail';
    const r = renderWebMessage({ text }, 120);
    expect(r.text.length).toBeLessThanOrEqual(120);
    expect(r.text.endsWith('(full text attached)')).toBe(true);
    expect(r.text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/); // no half emoji
    expect(r.files).toEqual([{ name: 'message.txt', content: text, kind: 'text' }]);
  });
});

describe('safeFileName', () => {
  it('removes path separators, control and bidi characters', () => {
    expect(safeFileName('../../etc/passwd')).toBe('_.._etc_passwd');
    expect(safeFileName('out\u202Etxt.exe')).toBe('out_txt.exe');
    expect(safeFileName('<img src=x>')).toBe('_img src=x_');
    expect(safeFileName('')).toBe('output.txt');
  });
});
