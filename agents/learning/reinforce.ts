// REINFORCE with a learned baseline (Williams 1992; Sutton & Barto §13.4): the policy gradient weighted by the
// discounted Monte-Carlo return minus V(s), with the value net fitted to the returns as the baseline. The
// trainer computes those advantages as GAE with λ = 1 (resolveArgs pins it); an episode still running at the
// end of a rollout is completed by the critic's estimate, the only bootstrap. One gradient step per rollout —
// the same step as A2C's, which differs only in its advantage estimator.
import { policyGradientStep } from './a2c.ts';

export const reinforceUpdate = policyGradientStep;
