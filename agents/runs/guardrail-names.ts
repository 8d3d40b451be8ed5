// Guardrail names (as `--guardrail` takes them) → the env-side and training-side configurations, with the rule
// that naming only training-side guardrails keeps a scenario's own env-side defaults. No file system here, so the
// viewer's in-page training (a Web Worker) resolves names exactly as `sidequest train` does.
import { resolveEnvGuardrails, type EnvGuardrailConfig } from '../../sim/guardrails.ts';
import type { Scenario } from '../../sim/scenario.ts';
import { ENV_GUARDRAILS } from '../../sim/vocab.ts';
import { isTrainingGuardrail, resolveTrainingGuardrails, TRAINING_GUARDRAILS, type TrainingGuardrails } from '../learning/guardrails.ts';

export class GuardrailNameError extends Error {}

/** `names` undefined keeps the scenario's own; `none` among them turns its env-side defaults off. */
export function resolveGuardrailNames(
  scenario: Scenario,
  names: readonly string[] | undefined,
  costWeight: number,
): { env: EnvGuardrailConfig; training: TrainingGuardrails } {
  for (const n of names ?? []) {
    if (n !== 'none' && !isTrainingGuardrail(n) && !(ENV_GUARDRAILS as readonly string[]).includes(n)) {
      throw new GuardrailNameError(`--guardrail: unknown guardrail "${n}": expected env-side ${ENV_GUARDRAILS.join(', ')}, training-side ${TRAINING_GUARDRAILS.join(', ')}, or none`);
    }
  }
  const trainingNames = (names ?? []).filter((n) => isTrainingGuardrail(n));
  const envNames = names?.filter((n) => !isTrainingGuardrail(n));
  const training = resolveTrainingGuardrails(trainingNames, { costWeight });
  // naming only training-side guardrails keeps the scenario's own env-side defaults (a world written with a
  // monitor keeps it); `none` among the names turns the defaults off
  const keepDefaults = names === undefined || (envNames!.length === 0 && !names.includes('none'));
  const env = resolveEnvGuardrails(scenario, keepDefaults ? undefined : envNames);
  return { env, training };
}
