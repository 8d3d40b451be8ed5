// Data the teaching pages take from outside, in Node: the static sample's listing (served by whatever host serves
// the site) and the episodes handed from the train page to the viewer through sessionStorage. Both are checked
// before use: a listing pointing outside sample/ or up the tree, or a handoff that is not a list of episode
// files, is refused; the real sample listing the build ships is accepted.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileUrlOf, parseSampleListing } from '../viewer/src/api.ts';
import { handOff, MAX_HANDOFF_FILES, takeHandoff } from '../viewer/src/handoff.ts';

const shipped = JSON.parse(readFileSync(new URL('../viewer/public/sample/runs.json', import.meta.url), 'utf8')) as unknown;

describe('the static sample listing', () => {
  it('accepts the shipped listing, with file addresses inside sample/', () => {
    const [run] = parseSampleListing(shipped);
    expect(run.name).toBe('rome-ppo-s1');
    expect(run.checkpoints.length).toBeGreaterThanOrEqual(3);
    const ep = run.checkpoints[0].episodes[0].file;
    expect(fileUrlOf(run, ep)).toBe(`sample/rome-ppo-s1/${ep}`);
    expect(fileUrlOf(run, 'evals.jsonl')).toBe('sample/rome-ppo-s1/evals.jsonl');
  });

  it.each([
    [[{ name: 'x', kind: 'run', base: '../', checkpoints: [] }], /base/],
    [[{ name: 'x', kind: 'run', base: 'https://evil.example/', checkpoints: [] }], /base/],
    [[{ name: 'x', kind: 'run', base: 'sample/x/', checkpoints: [{ name: 'c', step: 1, episodes: [{ file: '../../etc/passwd' }] }] }], /episode file/],
    [[{ name: 'x', kind: 'run', base: 'sample/x/', checkpoints: [{ name: 'c', step: 1, episodes: [{ file: '/abs.jsonl' }] }] }], /episode file/],
    [{ not: 'a list' }, /list/],
    [Array.from({ length: 17 }, () => ({})), /at most 16/],
  ])('refuses %j', (listing, why) => {
    expect(() => parseSampleListing(listing)).toThrow(why);
  });
});

describe('the train → viewer handoff', () => {
  const store = new Map<string, string>();
  (globalThis as unknown as { sessionStorage: Pick<Storage, 'getItem' | 'setItem'> }).sessionStorage = {
    getItem: (k) => store.get(k) ?? null,
    setItem: (k, v) => void store.set(k, v),
  };
  afterEach(() => store.clear());

  it('hands episodes over and names the one to open in a viewer link', () => {
    const url = handOff([{ name: 'step-000002048-ep-0.jsonl', text: 'a' }, { name: 'step-000002048-ep-1.jsonl', text: 'b' }], 'step-000002048-ep-0.jsonl');
    expect(url).toBe('./index.html?from=train#checkpoint=local&episode=step-000002048-ep-0.jsonl&step=0');
    expect(takeHandoff().files.map((f) => f.text)).toEqual(['a', 'b']);
  });

  it('keeps at most the last MAX_HANDOFF_FILES episodes', () => {
    handOff(Array.from({ length: MAX_HANDOFF_FILES + 5 }, (_, i) => ({ name: `e${i}.jsonl`, text: '' })), 'e0.jsonl');
    expect(takeHandoff().files[0].name).toBe('e5.jsonl');
  });

  it.each([
    ['nothing stored', null, /no longer/],
    ['not JSON', '{', /not readable/],
    ['not a list', '{"a":1}', /not a list/],
    ['a path for a name', JSON.stringify([{ name: '../x.jsonl', text: '' }]), /not a list of files/],
    ['a name that is not an episode file', JSON.stringify([{ name: 'x.html', text: '' }]), /not a list of files/],
    ['a text that is not text', JSON.stringify([{ name: 'x.jsonl', text: 5 }]), /not a list of files/],
  ])('refuses %s', (_what, raw, why) => {
    if (raw !== null) store.set('sidequest:handoff', raw);
    const h = takeHandoff();
    expect(h.files).toEqual([]);
    expect(h.error).toMatch(why);
  });
});
