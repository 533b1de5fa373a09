import { describe, expect, it } from 'vitest';
import { baseSubject, commandText, isReplySubject, ownText } from '../../../../adapters/email/mail-text.js';

describe('email command text', () => {
  it('takes the subject, trimmed, with inner spacing kept', () => {
    expect(commandText('  local echo a\u3000b  "c"  ', 'body')).toBe('local echo a\u3000b  "c"');
  });

  it('drops tags a server puts in front of the subject', () => {
    expect(commandText('[EXTERNAL] local uptime', '')).toBe('local uptime');
    expect(commandText('[EXT] [SPAM?] Re: local uptime', 'status abc')).toBe('status abc');
  });

  it('takes the first body line for replies and subject-less mail', () => {
    expect(commandText('Re: local uptime', '\n\nstatus abc\nmore')).toBe('status abc');
    expect(commandText('', 'local date\n')).toBe('local date');
    expect(commandText(undefined, undefined)).toBe('');
    expect(commandText('Re: x', '> only a quote\n')).toBe('');
  });

  it('recognises reply prefixes of many clients and languages', () => {
    for (const s of ['Re: x', 'RE: x', 're:x', 'AW: x', 'Aw: Re: x', 'SV: x', 'Antw: x', 'Réf: x', 'Re[2]: x', 'RE(3): x', '回复: x', '回复：x', '答复: x', '返信: x']) {
      expect(isReplySubject(s), s).toBe(true);
    }
    for (const s of ['local uptime', 'Reboot web-1', 'rerun abc', 'Regression: x']) expect(isReplySubject(s), s).toBe(false);
    expect(baseSubject('Re: AW: RE[2]: local uptime')).toBe('local uptime');
  });

  it('drops quotes, attributions, original-message blocks and signatures', () => {
    expect(ownText('cancel abc\n\nOn Mon, Jan 1, 2024 at 10:00 AM Skadi <s@x> wrote:\n> Job abc queued')).toBe('cancel abc');
    expect(ownText('cancel abc\nOn Mon, Jan 1, 2024 at 10:00 AM Skadi <\ns@x> wrote:\n> Job')).toBe('cancel abc');
    expect(ownText('cancel abc\n\nAm 01.01.2024 um 10:00 schrieb Skadi <s@x>:\n> Job')).toBe('cancel abc');
    expect(ownText('cancel abc\n\nLe lun. 1 janv. 2024 à 10:00, Skadi <s@x> a écrit :\n> Job')).toBe('cancel abc');
    expect(ownText('cancel abc\n-----Original Message-----\nFrom: Skadi')).toBe('cancel abc');
    expect(ownText('cancel abc\n________________________________\nFrom: Skadi <s@x>\nSent: Monday')).toBe('cancel abc');
    expect(ownText('cancel abc\n-- \nAlice\nOps')).toBe('cancel abc');
    expect(ownText('cancel abc\n\nSent from my iPhone')).toBe('cancel abc');
    expect(ownText('> quoted first\ncancel abc')).toBe('cancel abc');
    expect(ownText('local df\r\n\r\n在 2024年3月14日 10:05，Skadi <s@x> 写道：\r\n> Job')).toBe('local df');
  });

  it('keeps lines that only look a little like markers', () => {
    expect(ownText('local echo on the day he wrote\nnext')).toBe('local echo on the day he wrote\nnext');
    expect(ownText('local echo -- not a signature')).toBe('local echo -- not a signature');
  });
});
