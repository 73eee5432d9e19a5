/**
 * Which aggregation rule a federated round uses and its hyperparameters, validated once (zod) when a strategy
 * is created. Defaults: FedAdam's β1 = 0.9, β2 = 0.99, τ = 10⁻³ are Reddi et al. 2021's (Adaptive Federated
 * Optimization, §5 and App. D); its server learning rate 10⁻² sits in the middle of their tuned grid; FedProx's
 * μ = 0.01 is from Li et al. 2020's grid {0.001, 0.01, 0.1, 1}; trimmed mean drops 20 % per side, enough to
 * remove a 20 % poisoned minority even if it all lands on one side.
 */
import { z } from 'zod';
import { ControlPlaneError } from '../../errors.js';

export const STRATEGY_NAMES = ['fedavg', 'fedprox', 'fedadam', 'median', 'trimmed-mean'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export interface StrategyConfig {
  name: StrategyName;
  /** FedProx proximal weight, applied by the CLIENT in its local objective (the server rule is FedAvg's). */
  mu?: number;
  /** FedAdam (Reddi et al. 2021, Alg. 2): server learning rate η, moment decays β1, β2, adaptivity τ. */
  serverLr?: number;
  beta1?: number;
  beta2?: number;
  tau?: number;
  /** Trimmed mean: fraction of values dropped at EACH end of every coordinate, in [0, 0.5). */
  trimFraction?: number;
}

export const STRATEGY_DEFAULTS = Object.freeze({
  mu: 0.01,
  serverLr: 0.01,
  beta1: 0.9,
  beta2: 0.99,
  tau: 1e-3,
  trimFraction: 0.2,
});

export type ResolvedStrategyConfig = Readonly<Required<StrategyConfig>>;

export const strategyConfigSchema = z
  .object({
    name: z.enum(STRATEGY_NAMES),
    mu: z.number().min(0).max(1e6).optional(),
    serverLr: z.number().positive().max(1e6).optional(),
    beta1: z.number().min(0).lt(1).optional(),
    beta2: z.number().min(0).lt(1).optional(),
    tau: z.number().positive().max(1e6).optional(),
    trimFraction: z.number().min(0).lt(0.5).optional(),
  })
  .strict();

export function resolveStrategyConfig(config: StrategyConfig): ResolvedStrategyConfig {
  const parsed = strategyConfigSchema.safeParse(config);
  if (!parsed.success) {
    throw new ControlPlaneError('FL_CONFIG_INVALID', `invalid aggregation strategy: ${parsed.error.message}`, {
      details: { issues: parsed.error.issues },
    });
  }
  const defined = Object.fromEntries(Object.entries(parsed.data).filter(([, value]) => value !== undefined));
  return Object.freeze({ ...STRATEGY_DEFAULTS, ...defined, name: parsed.data.name });
}
