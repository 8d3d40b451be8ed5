// The train page's share link (viewer/src/train/link.ts) in Node: a setup round-trips through the hash (a shipped
// scenario or an edited world's text, deflated), only non-default PPO options are written, and every malformed
// link is refused with a message saying what is wrong (no throw, no silent default).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { decodeWorld, encodeWorld, formatTrainLink, MAX_WORLD_CHARS, parseTrainLink } from '../viewer/src/train/link.ts';
import type { TrainSetup } from '../viewer/src/train/session.ts';

const setup: TrainSetup = { scenario: 'rome', guardrails: ['sandbox', 'penalty'], seed: 7, steps: 20480, args: { lr: 0.0005, hidden: 16, normAdv: false } };

describe('train share link', () => {
  it('round-trips a shipped scenario setup with its backend and options', async () => {
    const hash = formatTrainLink(setup, 'wasm');
    expect(hash).toBe('#scenario=rome&seed=7&steps=20480&guardrails=sandbox%2Cpenalty&backend=wasm&lr=0.0005&hidden=16&normAdv=0');
    expect(await parseTrainLink(hash)).toEqual({ ok: true, link: { setup, backend: 'wasm' } });
  });

  it('leaves default options out, and an empty hash is no link', async () => {
    expect(formatTrainLink({ ...setup, args: { lr: 1e-3, envs: 32 } }, 'auto')).not.toMatch(/lr=|envs=/);
    expect(await parseTrainLink('')).toEqual({ ok: true, link: null });
  });

  it('carries an edited world as deflated base64url text, and refuses one too long to link', async () => {
    const text = readFileSync(new URL('../scenarios/tutorial.yaml', import.meta.url), 'utf8');
    const field = await encodeWorld(text);
    expect(field).not.toBeNull();
    expect(field!.length).toBeLessThan(text.length);
    expect(await decodeWorld(field!)).toBe(text);
    const parsed = await parseTrainLink(formatTrainLink({ ...setup, scenario: 'tutorial' }, 'cpu', field!));
    expect(parsed.ok && parsed.link?.world).toBe(text);
    // incompressible text beyond the cap cannot be linked
    let noise = '';
    for (let i = 0; noise.length < MAX_WORLD_CHARS * 2; i++) noise += ((i * 2654435761) >>> 0).toString(36);
    expect(await encodeWorld(noise)).toBeNull();
  });

  it.each([
    ['#scenario=rome&seed=1&steps=2048&guardrails=none&backend=quantum', /backend "quantum"/],
    ['#scenario=rome&seed=-1&steps=2048&guardrails=none&backend=wasm', /seed/],
    ['#scenario=rome&seed=1&steps=99999999&guardrails=none&backend=wasm', /steps/],
    ['#scenario=rome&seed=1&steps=2048&guardrails=none', /lacks backend/],
    ['#seed=1&steps=2048&guardrails=none&backend=wasm', /either a scenario or a world/],
    ['#scenario=rome&seed=1&steps=2048&guardrails=none&backend=wasm&evil=1', /does not have: "evil"/],
    ['#scenario=rome&seed=1&steps=2048&guardrails=none&backend=wasm&envs=100000', /envs/],
    ['#scenario=rome&seed=1&steps=2048&guardrails=none&backend=wasm&lr=NaN', /lr/],
    ['#scenario=rome&seed=1&steps=2048&guardrails=none&backend=wasm&normAdv=yes', /normAdv/],
    ['#scenario=rome&seed=1&seed=2&steps=2048&guardrails=none&backend=wasm', /more than once/],
    ['#scenario=../x&seed=1&steps=2048&guardrails=none&backend=wasm', /scenario/],
    ['#world=!!!&seed=1&steps=2048&guardrails=none&backend=wasm', /base64url/],
    ['#world=AAAA&seed=1&steps=2048&guardrails=none&backend=wasm', /does not unpack/],
    ['#scenario=rome&seed=1&steps=2048&guardrails=%E0%A4%A&backend=wasm', /%-escape/],
    ['#scenario=rome&seed=1&steps=2048&guardrails=<b>&backend=wasm', /guardrails/],
  ])('refuses %s with a reason', async (hash, why) => {
    const r = await parseTrainLink(hash);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(why);
  });

  it('stops a deflate bomb at the text bound', async () => {
    const field = await encodeWorld('a'.repeat(300 * 1024));
    expect(field).not.toBeNull();
    await expect(decodeWorld(field!)).rejects.toThrow(/more than/);
  });
});
