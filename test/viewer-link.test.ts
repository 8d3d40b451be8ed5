// Share links in Node: what the viewer writes into the URL's hash reads back as the same view, and every kind
// of broken or hostile link gets a message that says what is wrong (the browser test opens real ones).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatLink, parseLink } from '../viewer/src/link.ts';

describe('share links', () => {
  it('round trip: format then parse gives the same view, names with any characters included', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 60 }).filter((s) => !/[/\\]/.test(s) && ![...s].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127)),
        fc.oneof(fc.constant('episodes'), fc.constant('local'), fc.nat(1e9).map((n) => `step-${String(n).padStart(9, '0')}`)),
        fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[/\\]/.test(s) && ![...s].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127)).map((s) => `${s}.jsonl`),
        fc.nat(9_999_999),
        (run, checkpoint, episode, step) => {
          const link = { run, checkpoint, episode, step };
          expect(parseLink(formatLink(link))).toEqual({ ok: true, link });
        },
      ),
    );
  });

  it('no hash is no link', () => {
    expect(parseLink('')).toEqual({ ok: true, link: null });
    expect(parseLink('#')).toEqual({ ok: true, link: null });
  });

  it.each([
    ['#run=a&checkpoint=step-1&episode=e.jsonl&step=-1', 'is not a whole number'],
    ['#run=a&checkpoint=step-1&episode=e.jsonl&step=1e3', 'is not a whole number'],
    ['#run=a&checkpoint=step-1&episode=e.jsonl', 'lacks step'],
    ['#run=a&checkpoint=../../etc&episode=e.jsonl&step=1', 'not a checkpoint name'],
    ['#run=a&checkpoint=step-1&episode=..%2Fpasswd.jsonl&step=1', 'not an episode file name'],
    ['#run=a&checkpoint=step-1&episode=e.txt&step=1', 'not an episode file name'],
    ['#run=a%2Fb&checkpoint=step-1&episode=e.jsonl&step=1', 'not a folder name'],
    ['#run=a%00&checkpoint=step-1&episode=e.jsonl&step=1', 'not a folder name'],
    ['#run=a&run=b&checkpoint=step-1&episode=e.jsonl&step=1', 'more than once'],
    ['#script=alert(1)', 'does not have: script'],
    ['#%E0%A4%A', 'broken %-escape'],
    [`#run=${'x'.repeat(3000)}`, 'at most 2000'],
  ])('%s is refused: %s', (hash, says) => {
    const r = parseLink(hash);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(says);
  });
});
