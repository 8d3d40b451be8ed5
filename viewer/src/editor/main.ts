// The world editor page: paints a scenario's map from its tile library, edits its key numbers, validates after
// every change with the CLI's own schema and compiler (the message shown inline is the one `sidequest` prints),
// downloads the result as a standalone scenario file and loads one back. The shipped scenarios are embedded at
// build time, so the page needs no server. Everything from a file reaches the page as text or colour, never HTML.
/// <reference types="vite/client" />
import { docFromScenario, docFromText, keyNumbers, mapRows, paint, palette, resize, setNumber, toYaml, validate, type EditorDoc, type PaletteEntry } from './model.ts';
import { parseScenarioText, type Sources } from '../../../sim/scenario.ts';
import { WORLD_KEY } from '../handoff.ts';

const files = import.meta.glob('../../../scenarios/*.yaml', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
const byName = new Map(Object.entries(files).map(([path, text]) => [path.split('/').pop()!, text]));
const sources: Sources = {
  scenario: (id) => ({ text: byName.get(`${id}.yaml`) ?? '', origin: `${id}.yaml` }),
  library: (id) => ({ text: byName.get(`${id}.tiles.yaml`) ?? '', origin: `${id}.tiles.yaml` }),
};
const shipped = [...byName.keys()].filter((n) => !n.endsWith('.tiles.yaml') && !n.endsWith('.schema.json')).map((n) => n.replace(/\.yaml$/, '')).sort();

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
function elem<K extends keyof HTMLElementTagNameMap>(tag: K, text = '', className = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text) e.textContent = text;
  if (className) e.className = className;
  return e;
}

const state = { doc: null as EditorDoc | null, brush: null as PaletteEntry | null, painting: false, name: 'rome' };

/** A colour from a file, used only if it is a plain #rrggbb (anything else could be CSS beyond a colour). */
function safeColour(c: string): string {
  return /^#[0-9a-fA-F]{6}$/.test(c) ? c : '#888888';
}

function status(ok: boolean, text: string): void {
  const box = $('ed-status');
  box.replaceChildren(elem('span', text, ok ? 'ok' : 'error'));
}

function check(): void {
  if (!state.doc) return;
  const v = validate(state.doc);
  if (v.ok) status(true, `valid: ${v.scenario.width}×${v.scenario.height}, ${v.scenario.tiles.length} tiles, ${v.scenario.behaviours.length} side strategies declared`);
  else status(false, v.message);
}

function drawGrid(): void {
  const doc = state.doc!;
  const rows = mapRows(doc);
  const colourOf = new Map(palette(doc).map((p) => [p.glyph, safeColour(p.colour)]));
  const grid = $('ed-grid');
  grid.style.gridTemplateColumns = `repeat(${rows[0].length}, 34px)`;
  const cells: HTMLElement[] = [];
  rows.forEach((row, y) => {
    [...row].forEach((glyph, x) => {
      const c = elem('button', glyph, 'cell');
      c.type = 'button';
      c.style.background = colourOf.get(glyph) ?? '#333333';
      c.dataset.x = String(x);
      c.dataset.y = String(y);
      c.setAttribute('aria-label', `cell ${x},${y}: ${glyph}`);
      cells.push(c);
    });
  });
  grid.replaceChildren(...cells);
  ($('ed-width') as HTMLInputElement).value = String(rows[0].length);
  ($('ed-height') as HTMLInputElement).value = String(rows.length);
}

function drawPalette(): void {
  const doc = state.doc!;
  const entries = palette(doc);
  if (!state.brush || !entries.some((e) => e.glyph === state.brush!.glyph)) state.brush = entries.find((e) => e.tile === 'wall') ?? entries[0];
  $('ed-palette').replaceChildren(
    ...entries.map((p) => {
      const b = elem('button', '', p.glyph === state.brush?.glyph ? 'selected' : '');
      b.dataset.tile = p.tile;
      b.type = 'button';
      const sw = elem('span', p.glyph, 'swatch');
      sw.style.background = safeColour(p.colour);
      const text = elem('span', `${p.tile} — ${p.label}`);
      if (!p.inLegend) text.append(elem('span', ' (new in this map)', 'new'));
      b.append(sw, text);
      b.addEventListener('click', () => {
        state.brush = p;
        drawPalette();
      });
      return b;
    }),
  );
}

function drawNumbers(): void {
  const doc = state.doc!;
  $('ed-numbers').replaceChildren(
    ...keyNumbers(doc).map((k) => {
      const label = elem('label', k.label);
      const input = elem('input');
      input.type = 'number';
      input.value = String(k.value);
      input.step = k.integer ? '1' : 'any';
      input.min = String(k.min);
      input.max = String(k.max);
      input.addEventListener('change', () => {
        const v = Number(input.value);
        if (input.value.trim() === '' || !Number.isFinite(v)) {
          input.classList.add('invalid');
          status(false, `${k.label}: expected a number, found "${input.value}"`);
          return;
        }
        input.classList.remove('invalid');
        state.doc = setNumber(state.doc!, k.path, v);
        check();
      });
      label.append(input);
      return label;
    }),
  );
}

function redraw(): void {
  drawGrid();
  drawPalette();
  drawNumbers();
  check();
}

function open(doc: EditorDoc, name: string): void {
  state.doc = doc;
  state.name = name;
  redraw();
}

function paintAt(target: EventTarget | null): void {
  const el = target instanceof HTMLElement ? target : null;
  if (!el?.dataset.x || !state.doc || !state.brush) return;
  const next = paint(state.doc, Number(el.dataset.x), Number(el.dataset.y), state.brush);
  if (next === state.doc) return;
  const addsLegend = !state.brush.inLegend;
  state.doc = next;
  if (addsLegend) {
    // the tile is in the legend now: the palette says so, and the brush keeps painting it
    state.brush = palette(next).find((p) => p.glyph === state.brush!.glyph) ?? state.brush;
    drawPalette();
  }
  drawGrid();
  check();
}

function init(): void {
  const picker = $('ed-scenario') as HTMLSelectElement;
  for (const id of shipped) picker.append(new Option(id, id));
  const start = shipped.includes('rome') ? 'rome' : shipped[0];
  picker.value = start;
  const openShipped = (id: string) => open(docFromScenario(parseScenarioText(byName.get(`${id}.yaml`)!, `${id}.yaml`, sources)), id);
  picker.addEventListener('change', () => openShipped(picker.value));
  const grid = $('ed-grid');
  grid.addEventListener('pointerdown', (e) => {
    state.painting = true;
    paintAt(e.target);
  });
  grid.addEventListener('pointerover', (e) => {
    if (state.painting) paintAt(e.target);
  });
  window.addEventListener('pointerup', () => (state.painting = false));
  const size = () => {
    if (!state.doc) return;
    state.doc = resize(state.doc, Number(($('ed-width') as HTMLInputElement).value), Number(($('ed-height') as HTMLInputElement).value));
    redraw();
  };
  $('ed-width').addEventListener('change', size);
  $('ed-height').addEventListener('change', size);
  $('ed-download').addEventListener('click', () => {
    if (!state.doc) return;
    const v = validate(state.doc);
    if (!v.ok) {
      status(false, `not downloaded: ${v.message}`);
      return;
    }
    const url = URL.createObjectURL(new Blob([toYaml(state.doc)], { type: 'application/yaml' }));
    const a = elem('a');
    a.href = url;
    a.download = `${state.doc.file.id}.yaml`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
  $('ed-train').addEventListener('click', () => {
    if (!state.doc) return;
    const v = validate(state.doc);
    if (!v.ok) {
      status(false, `not sent to training: ${v.message}`);
      return;
    }
    // the train page validates it again with the same schema, and puts it in its share link if it is short enough
    try {
      sessionStorage.setItem(WORLD_KEY, toYaml(state.doc));
    } catch {
      status(false, 'not sent to training: this browser refused to keep the world for the train page (storage full or off)');
      return;
    }
    location.assign('./train.html?world=session');
  });
  $('ed-file').addEventListener('change', async (e) => {
    const input = e.target as HTMLInputElement;
    const f = input.files?.[0];
    input.value = '';
    if (!f) return;
    if (f.size > 256 * 1024) {
      status(false, `${f.name}: expected at most 262144 bytes, found ${f.size}`);
      return;
    }
    const r = docFromText(await f.text(), f.name, sources);
    if (!r.ok) {
      status(false, r.message);
      return;
    }
    open(r.doc, f.name);
    status(true, `loaded ${f.name}: valid`);
  });
  openShipped(start);
}

init();
