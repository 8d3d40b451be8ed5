// The viewer server's data API, declared once for both ends: cli/view.ts builds these entries from run folders,
// the viewer reads them. Types and URL helpers only (no DOM, no Node), so both sides import this module.

/** One recorded episode in a listing, from its end record. */
export interface EpisodeEntry {
  file: string; // relative to the run folder
  /** null when the end record is unreadable (then `error` says why). */
  return: number | null;
  reason: string;
  behaviours: string[];
  alerts: number;
  steps: number;
  error?: string;
}

export interface CheckpointEntry {
  name: string;
  step: number;
  summary: unknown;
  episodes: EpisodeEntry[];
  /** summary.json could not be read (the episodes are still listed). */
  error?: string;
}

export interface RunEntry {
  id: number;
  name: string;
  kind: 'run' | 'episodes';
  /** run.json as the folder holds it: the viewer reads it only through runConfigSummary. */
  config: unknown;
  checkpoints: CheckpointEntry[];
  /** The folder could not be read (or its run.json is broken): listed with why, so the server stays up. */
  error?: string;
  /**
   * Static site only: the folder's files are fetched from this relative address (the sample run the build ships,
   * viewer/public/sample/), not from the server's API. The server never sets it.
   */
  base?: string;
}

/** The listing route (relative, so the viewer works under any base path). */
export const RUNS_URL = 'api/runs';

/** The route of a file inside a served run folder. */
export function runFileUrl(runId: number, rel: string): string {
  return `${RUNS_URL}/${runId}/file/${rel.split('/').map(encodeURIComponent).join('/')}`;
}

/** The address of a file of a run: the API's route, or the static sample's folder. */
export function fileUrlOf(run: RunEntry, rel: string): string {
  return run.base !== undefined ? `${run.base}${rel.split('/').map(encodeURIComponent).join('/')}` : runFileUrl(run.id, rel);
}

/** The listing of the sample run(s) a static build ships (written by scripts/make-sample.ts). */
export const SAMPLE_URL = 'sample/runs.json';

/**
 * Reads the static sample's listing: it comes from whatever host serves the site, so its shape is checked (the
 * fields the viewer reads, sizes bounded) and its file addresses must stay inside sample/.
 */
export function parseSampleListing(v: unknown): RunEntry[] {
  const bad = (why: string): never => {
    throw new Error(`the sample listing is not valid: ${why}`);
  };
  if (!Array.isArray(v) || v.length > 16) bad('expected a list of at most 16 runs');
  return (v as unknown[]).map((r, i) => {
    const o = (r ?? {}) as Record<string, unknown>;
    if (typeof o.name !== 'string' || o.name.length > 100) bad(`run ${i}: no name`);
    if (typeof o.base !== 'string' || !/^sample\/[\w.-]{1,100}\/$/.test(o.base) || o.base.includes('..')) bad(`run ${i}: its base is not a folder inside sample/`);
    if (o.kind !== 'run' && o.kind !== 'episodes') bad(`run ${i}: kind`);
    if (!Array.isArray(o.checkpoints) || o.checkpoints.length > 1000) bad(`run ${i}: checkpoints`);
    const checkpoints = (o.checkpoints as unknown[]).map((c) => {
      const k = (c ?? {}) as Record<string, unknown>;
      if (typeof k.name !== 'string' || typeof k.step !== 'number' || !Array.isArray(k.episodes) || k.episodes.length > 1000) bad(`run ${i}: a checkpoint`);
      const episodes = (k.episodes as unknown[]).map((e) => {
        const x = (e ?? {}) as Record<string, unknown>;
        if (typeof x.file !== 'string' || x.file.length > 300 || x.file.split('/').some((part) => part === '..' || part === '')) bad(`run ${i}: an episode file`);
        return { file: x.file as string, return: typeof x.return === 'number' ? x.return : null, reason: String(x.reason ?? ''), behaviours: Array.isArray(x.behaviours) ? x.behaviours.filter((b): b is string => typeof b === 'string') : [], alerts: Number(x.alerts) || 0, steps: Number(x.steps) || 0 };
      });
      return { name: k.name as string, step: k.step as number, summary: k.summary ?? null, episodes };
    });
    return { id: i, name: o.name as string, kind: o.kind as RunEntry['kind'], config: o.config ?? null, checkpoints, base: o.base as string };
  });
}

/**
 * What the viewer shows of a run's run.json: scenario, algorithm and guardrail names. The config comes from a
 * file, so it is read field by field, never trusted to have the shape it should.
 */
export function runConfigSummary(config: unknown): { scenario: string; algo: string; guardrails: string[] } | null {
  const obj = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const names = (v: unknown) => {
    const n = obj(v)?.names;
    return Array.isArray(n) ? n.filter((x): x is string => typeof x === 'string') : [];
  };
  const c = obj(config);
  const scenario = str(obj(c?.scenario)?.id);
  if (!c || !scenario) return null;
  const g = obj(c.guardrails);
  return { scenario, algo: str(c.algo), guardrails: [...names(g?.env), ...names(g?.training)] };
}
