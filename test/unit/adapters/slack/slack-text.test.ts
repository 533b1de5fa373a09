import { describe, expect, it } from 'vitest';
import { decodeSlackText, escapeSlack, mentions, stripMention, unescapeSlack } from '../../../../adapters/slack/slack-text.js';

describe('slack markup', () => {
  it('escapes the three characters Slack reserves, and unescapes them back', () => {
    const text = 'a < b && c > d <!channel> <@U1>';
    expect(escapeSlack(text)).toBe('a &lt; b &amp;&amp; c &gt; d &lt;!channel&gt; &lt;@U1&gt;');
    expect(unescapeSlack(escapeSlack(text))).toBe(text);
    expect(unescapeSlack('&amp;lt;')).toBe('&lt;');
  });

  it('strips every mention of the bot, with or without a label, and the spaces around it', () => {
    expect(stripMention('<@UBOT> local uptime', 'UBOT')).toBe('local uptime');
    expect(stripMention('local uptime <@UBOT|skadi>', 'UBOT')).toBe('local uptime');
    expect(stripMention('hey <@UBOT>  local', 'UBOT')).toBe('hey local');
    expect(stripMention('<@UOTHER> local', 'UBOT')).toBe('<@UOTHER> local');
    expect(mentions('x <@UBOT|skadi>', 'UBOT')).toBe(true);
    expect(mentions('x <@UBOTX>', 'UBOT')).toBe(false);
  });

  it('decodes links, mentions, channels and specials to what the user typed', () => {
    expect(decodeSlackText('<https://a.example/x?y=1&amp;z=2>')).toBe('https://a.example/x?y=1&z=2');
    expect(decodeSlackText('<http://a.example|a.example>')).toBe('a.example');
    expect(decodeSlackText('<mailto:ops@a.example|ops@a.example>')).toBe('ops@a.example');
    expect(decodeSlackText('<@U1> <@U2|bob> <#C1|ops> <#C2> <!here> <!channel|@channel> <!subteam^S1|@sre> <!subteam^S2>')).toBe('@U1 @bob #ops #C2 @here @channel @sre @subteam');
    expect(decodeSlackText('no markup: 你好 "quotes" ‘curly’')).toBe('no markup: 你好 "quotes" ‘curly’');
  });
});
