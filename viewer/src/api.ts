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
}

/** The listing route (relative, so the viewer works under any base path). */
export const RUNS_URL = 'api/runs';

/** The route of a file inside a served run folder. */
export function runFileUrl(runId: number, rel: string): string {
  return `${RUNS_URL}/${runId}/file/${rel.split('/').map(encodeURIComponent).join('/')}`;
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
