import { describe, expect, it } from 'vitest';
import { renderMail } from '../../../../adapters/email/render-mail.js';

describe('email renderMail', () => {
  it('puts text, fields, output and action hints in the plain body, and a monospace block in the HTML', () => {
    const mail = renderMail(
      {
        text: 'Job abc on local succeeded (exit 0): uptime',
        fields: [{ label: 'Agent', value: 'local' }],
        code: { content: 'up 3 days <script>', filename: 'abc.txt' },
        actions: [{ id: 'cancel', label: 'Cancel', jobId: 'abc' }],
      },
      1000,
    );
    expect(mail.text).toBe('Job abc on local succeeded (exit 0): uptime\n\nAgent: local\n\nup 3 days <script>\n\nTo cancel this job, reply with: cancel abc');
    expect(mail.html).toContain('<pre style="font-family:Menlo');
    expect(mail.html).toContain('up 3 days &lt;script&gt;');
    expect(mail.html).not.toContain('<script>');
    expect(mail.attachments).toEqual([]);
  });

  it('attaches output that would make the body too long, whole, under its file name', () => {
    const content = 'x'.repeat(5000);
    const mail = renderMail({ text: 'Job abc succeeded', code: { content, filename: 'abc.txt' } }, 1000);
    expect(mail.attachments).toEqual([{ filename: 'abc.txt', content, contentType: 'text/plain; charset=utf-8' }]);
    expect(mail.text).toContain('attached as abc.txt');
    expect(mail.text.length).toBeLessThan(1000);
    expect(mail.html).not.toContain('<pre');
  });

  it('attaches a text too long for a body as message.txt, and sanitises file names', () => {
    const text = 'y'.repeat(5000);
    const mail = renderMail({ text, code: { content: 'z'.repeat(200), filename: '../../etc/passwd' } }, 3000);
    expect(mail.attachments[0]).toMatchObject({ filename: 'message.txt', content: text });
    expect(mail.text.length).toBeLessThanOrEqual(3000);
    const odd = renderMail({ text: 'x', code: { content: 'z'.repeat(5000), filename: 'a/b:c*.txt' } }, 3000);
    expect(odd.attachments[0]!.filename).toBe('a_b_c_.txt');
  });
});
