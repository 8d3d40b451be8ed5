// The map editor's model (viewer/src/editor/model.ts): a shipped world round-trips to standalone YAML unchanged,
// painting from the tile library edits the map and the legend, the key numbers are the file's, and validation
// gives the CLI's own errors.
import { describe, expect, it } from 'vitest';
import { docFromScenario, docFromText, keyNumbers, mapRows, paint, palette, resize, setNumber, toYaml, validate, validateText, type EditorDoc } from '../viewer/src/editor/model.ts';
import { listScenarios, loadScenario } from '../sim/load.ts';

describe('the editor model', () => {
  it('every shipped scenario round-trips: standalone YAML that compiles to the same world', () => {
    for (const id of listScenarios()) {
      const s = loadScenario(id);
      const doc = docFromScenario(s);
      const v = validate(doc);
      expect(v.ok, `${id}: ${v.ok ? '' : v.message}`).toBe(true);
      if (!v.ok) continue;
      expect(v.scenario.width).toBe(s.width);
      expect(v.scenario.tiles.map((t) => t.name)).toEqual(s.tiles.map((t) => t.name));
      expect(mapRows(doc).join('\n')).toBe(mapRows(docFromScenario(v.scenario)).join('\n'));
      // and loading the download gives the same document back
      const back = docFromText(toYaml(doc), `${id}.yaml`);
      expect(back.ok).toBe(true);
      if (back.ok) expect(toYaml(back.doc)).toBe(toYaml(doc));
    }
  });

  it('paints a legend tile, adds a library tile to the legend, and adds a candidate cell to a placement group', () => {
    let doc = docFromScenario(loadScenario('rome'));
    const pal = palette(doc);
    const wall = pal.find((p) => p.tile === 'wall')!;
    const start = pal.find((p) => p.tile === 'agent')!; // rome draws the agent's start among candidate cells
    expect(pal.some((p) => !p.inLegend)).toBe(true); // the library offers tiles rome's legend lacks
    const before = mapRows(doc);
    doc = paint(doc, 1, 1, wall);
    expect(mapRows(doc)[1][1]).toBe(wall.glyph);
    expect(mapRows(doc).filter((_, y) => y !== 1)).toEqual(before.filter((_, y) => y !== 1));
    const extra = palette(doc).find((p) => !p.inLegend)!;
    doc = paint(doc, 2, 2, extra);
    expect(doc.file.legend[extra.glyph]).toBe(extra.tile);
    const candidates = (d: typeof doc) => mapRows(d).join('').split('').filter((c) => c === start.glyph).length;
    const n = candidates(doc);
    doc = paint(doc, 4, 1, start);
    expect(candidates(doc)).toBe(n + 1);
    const v = validate(doc);
    expect(v.ok, v.ok ? '' : v.message).toBe(true);
    // out of the map: nothing happens
    expect(paint(doc, 99, 0, wall)).toBe(doc);
  });

  it('a world with one fixed start: painting the agent moves it', () => {
    const base = docFromScenario(loadScenario('rome'));
    const rows = mapRows(base).map((r, y) => (y === 2 ? r.replace('aa', 'A.') : r.replaceAll('a', '.')));
    let doc: EditorDoc = { ...base, file: { ...base.file, legend: { ...Object.fromEntries(Object.entries(base.file.legend).filter(([g]) => g !== 'a')), A: 'agent' }, map: rows.join('\n') + '\n', place: Object.fromEntries(Object.entries(base.file.place).filter(([k]) => k !== 'agent')) } };
    expect(validate(doc).ok).toBe(true);
    const agent = palette(doc).find((p) => p.tile === 'agent')!;
    doc = paint(doc, 4, 4, agent);
    expect(mapRows(doc).join('').split('').filter((c) => c === 'A').length).toBe(1);
    expect(mapRows(doc)[4][4]).toBe('A');
    expect(validate(doc).ok).toBe(true);
  });

  it('key numbers are the file\'s; a bad value is refused with the schema\'s own message', () => {
    const doc = docFromScenario(loadScenario('rome'));
    const nums = keyNumbers(doc);
    expect(nums[0]).toMatchObject({ path: ['horizon'], value: 48 });
    expect(nums.some((n) => n.path.join('.') === 'telemetry.firewall.falsePositiveRate')).toBe(true);
    const longer = setNumber(doc, ['horizon'], 64);
    const v = validate(longer);
    expect(v.ok && v.scenario.horizon).toBe(64);
    const bad = validate(setNumber(doc, ['horizon'], 0));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toMatch(/horizon/);
    // only offered paths can be set
    expect(setNumber(doc, ['rules'], 1)).toBe(doc);
  });

  it('resizing keeps the map rectangular and bounded', () => {
    const doc = resize(docFromScenario(loadScenario('rome')), 12, 9);
    const rows = mapRows(doc);
    expect(rows.length).toBe(9);
    for (const r of rows) expect(r.length).toBe(12);
    expect(mapRows(resize(doc, 1000, 1000)).length).toBe(64);
  });

  it('a hostile or broken file gets one readable message', () => {
    expect(validateText('x'.repeat(300 * 1024)).ok).toBe(false);
    const notYaml = docFromText('map: [unclosed', 'shared.yaml');
    expect(notYaml.ok).toBe(false);
    const extendsUnknown = docFromText('id: x\nextends: nowhere\n', 'shared.yaml');
    expect(extendsUnknown.ok).toBe(false);
    if (!extendsUnknown.ok) expect(extendsUnknown.message).toMatch(/extends/);
  });
});
