// The viewer server's forensics routes, kept out of cli/view.ts so the server gains one hook line: for a served
// run folder, GET /api/runs/<i>/incidents is the incidents report (agents/runs/incidents.ts) as JSON, and
// GET /api/runs/<i>/training/<env>/<episode>.jsonl is that training episode re-simulated as an ordinary episode
// file (agents/runs/forensics.ts), which the viewer opens like any other. Read-only; every file read is confined
// to the served folder (no symlink out, regular files only); errors are data (status + one line), never a stack.
import { lstatSync, realpathSync } from 'node:fs';
import { join, sep } from 'node:path';
import { serializeEpisode } from '../../sim/episode.ts';
import { compileScenario } from '../../sim/scenario.ts';
import { groupIncidents, readTelemetry, recordedEpisodes } from './incidents.ts';
import { openTrainingEpisode, resimulateTraining } from './forensics.ts';
import { readRunConfig } from './run.ts';

export interface RouteResponse {
  status: number;
  body: string;
  type: string;
}

const text = (status: number, body: string): RouteResponse => ({ status, body, type: 'text/plain; charset=utf-8' });

/** Whether `rel` inside `root` is a regular file that resolves inside `root` (symlinks included). */
function confinedFile(root: string, rel: string): boolean {
  try {
    const real = realpathSync(join(root, rel));
    const base = realpathSync(root);
    return (real === base || real.startsWith(base + sep)) && lstatSync(join(root, rel)).isFile() && lstatSync(real).isFile();
  } catch {
    return false;
  }
}

/**
 * Answers a forensics route for one of the served folders, or null when `path` is not one (the server goes on to
 * its other routes). `query` carries the incidents options (gap, top).
 */
export async function forensicsRoute(path: string, roots: readonly string[], query: URLSearchParams = new URLSearchParams()): Promise<RouteResponse | null> {
  const inc = /^\/api\/runs\/(\d{1,6})\/incidents$/.exec(path);
  const tr = /^\/api\/runs\/(\d{1,6})\/training\/(\d{1,6})\/(\d{1,12})\.jsonl$/.exec(path);
  if (!inc && !tr) return null;
  const root = roots[Number((inc ?? tr)![1])];
  if (!root) return text(404, 'no such run');
  for (const f of ['run.json', ...(inc ? ['telemetry.jsonl'] : [])]) {
    if (!confinedFile(root, f)) return text(404, `this folder has no ${f} (or it is not a regular file inside it)`);
  }
  try {
    if (inc) {
      const config = readRunConfig(root);
      const scenario = compileScenario(config.scenario.file, `${config.scenario.id} (run.json)`);
      const numEnvs = config.args?.envs;
      const numSteps = config.args?.numSteps;
      if (!Number.isInteger(numEnvs) || numEnvs < 1 || numEnvs > 4096 || !Number.isInteger(numSteps) || numSteps < 1) return text(422, 'run.json: expected args.envs and args.numSteps');
      const num = (k: string, d: number, min: number) => {
        const v = Number(query.get(k) ?? d);
        return Number.isSafeInteger(v) && v >= min ? v : d;
      };
      const { index } = recordedEpisodes(root, scenario);
      const report = groupIncidents(readTelemetry(root), { scenario, numEnvs, gap: num('gap', 4 * numEnvs * numSteps, 1), run: config.name, index, top: Math.min(num('top', 20, 0), 1000) || 1000 });
      return { status: 200, body: JSON.stringify({ ...report, recordedEpisodes: index.size }), type: 'application/json' };
    }
    const o = openTrainingEpisode(root, Number(tr![2]), Number(tr![3]));
    const res = await resimulateTraining(o.scenario, o.guardrails, o.found, {
      agent: `${o.config.algo}@training`,
      // the server runs no network: the probabilities are `sidequest replay RUN --env E --episode K --out FILE`'s
      meta: { run: o.config.name, training: true, env: o.found.episode.env, episode: o.found.episode.index, probabilities: 'not computed by the viewer server (sidequest replay … --out adds them where the acting checkpoint is kept)' },
    });
    if (!res.ok) return text(409, `the episode does not replay: step ${res.divergence!.step}, ${res.divergence!.what}`);
    return { status: 200, body: serializeEpisode(res.record!), type: 'application/x-ndjson' };
  } catch (e) {
    return text(422, (e as Error).message.split('\n')[0].slice(0, 400));
  }
}
