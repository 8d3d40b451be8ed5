// Turns a scenario's expression bytecode (sim/expr.ts) into closures bound to one engine's arrays, once per
// BatchEnv. The bytecode is the compiled, portable form; the closures are how the hot path runs it: V8 compiles
// each small closure to straight machine code, where a switch-per-instruction interpreter cost ~10 ns an
// instruction. Common shapes (a variable compared with a constant, `heading == left`, arithmetic with a constant
// operand) get closures of their own. Semantics are exactly those of expr.ts (apply1 / apply2): the same
// float64 operations in the same order, division and modulo by zero give 0, overflow saturates at ±1e300.
import { Op, type CompiledExprs } from './expr.ts';
import { DX, DY } from './vocab.ts';
import type { Rng } from './rng.ts';

/** The formula of one expression for env i. */
export type ExprFn = (i: number) => number;

/** Where a formula's cell names point, set by the engine before it evaluates (the rule's target, the cell left). */
export interface ExprContext {
  target: number;
  from: number;
  value: number;
}

export interface ExprHost {
  readonly vars: Float64Array;
  readonly numVars: number;
  readonly t: Int32Array;
  readonly heading: Uint8Array;
  readonly pos: Int32Array;
  readonly grid: Uint8Array;
  readonly cells: number;
  readonly paddedWidth: number;
  readonly tagBits: Uint32Array;
  readonly guardActive: Uint8Array;
  readonly worldRng: Rng[];
  readonly ctx: ExprContext;
}

const sat = (v: number) => (v > 1e300 ? 1e300 : v < -1e300 ? -1e300 : v);

type Node = { kind: 'const'; v: number } | { kind: 'fn'; f: ExprFn };

export function buildExprFns(ex: CompiledExprs, h: ExprHost): ExprFn[] {
  const fns: ExprFn[] = [];
  for (let id = 0; id < ex.start.length; id++) fns.push(build(ex, h, ex.start[id], ex.end[id]));
  return fns;
}

function build(ex: CompiledExprs, h: ExprHost, start: number, end: number): ExprFn {
  const stack: Node[] = [];
  const fnOf = (n: Node): ExprFn => {
    if (n.kind === 'fn') return n.f;
    const v = n.v;
    return () => v;
  };
  for (let pc = start; pc < end; pc += 2) {
    const op = ex.code[pc];
    const arg = ex.code[pc + 1];
    switch (op) {
      case Op.Const:
        stack.push({ kind: 'const', v: ex.consts[arg] });
        break;
      case Op.Var: {
        const vars = h.vars;
        const nv = h.numVars;
        stack.push({ kind: 'fn', f: (i) => vars[i * nv + arg] });
        break;
      }
      case Op.T: {
        const t = h.t;
        stack.push({ kind: 'fn', f: (i) => t[i] });
        break;
      }
      case Op.Heading: {
        const hd = h.heading;
        stack.push({ kind: 'fn', f: (i) => hd[i] });
        break;
      }
      case Op.Value: {
        const ctx = h.ctx;
        stack.push({ kind: 'fn', f: () => ctx.value });
        break;
      }
      case Op.Random: {
        const rngs = h.worldRng;
        stack.push({ kind: 'fn', f: (i) => rngs[i]() });
        break;
      }
      case Op.Is:
      case Op.Tagged: {
        const cell = cellFn(h, arg >>> 16);
        const what = arg & 0xffff;
        const grid = h.grid;
        const cells = h.cells;
        const bits = h.tagBits;
        const bit = 1 << what;
        stack.push({
          kind: 'fn',
          f: op === Op.Is ? (i) => (grid[i * cells + cell(i)] === what ? 1 : 0) : (i) => ((bits[grid[i * cells + cell(i)]] & bit) !== 0 ? 1 : 0),
        });
        break;
      }
      case Op.Guard:
        stack.push({ kind: 'const', v: h.guardActive[arg] });
        break;
      case Op.Neg:
      case Op.Not:
      case Op.Floor:
      case Op.Ceil:
      case Op.Round:
      case Op.Abs: {
        const a = fnOf(stack.pop()!);
        const f: ExprFn =
          op === Op.Neg ? (i) => -a(i)
          : op === Op.Not ? (i) => (a(i) === 0 ? 1 : 0)
          : op === Op.Floor ? (i) => Math.floor(a(i))
          : op === Op.Ceil ? (i) => Math.ceil(a(i))
          : op === Op.Round ? (i) => Math.round(a(i))
          : (i) => Math.abs(a(i));
        stack.push({ kind: 'fn', f });
        break;
      }
      case Op.Clamp: {
        const c = fnOf(stack.pop()!);
        const b = fnOf(stack.pop()!);
        const a = fnOf(stack.pop()!);
        stack.push({
          kind: 'fn',
          f: (i) => {
            const x = a(i);
            const lo = b(i);
            const hi = c(i);
            return x < lo ? lo : x > hi ? hi : x;
          },
        });
        break;
      }
      default: {
        const nb = stack.pop()!;
        const na = stack.pop()!;
        stack.push({ kind: 'fn', f: binary(op, na, nb, fnOf) });
      }
    }
  }
  const top = stack.pop()!;
  return fnOf(top);
}

/** A binary operation; with a constant right operand (or a variable / heading on the left) it gets a closure of its own. */
function binary(op: number, na: Node, nb: Node, fnOf: (n: Node) => ExprFn): ExprFn {
  if (nb.kind === 'const') {
    const k = nb.v;
    const a = fnOf(na);
    switch (op) {
      case Op.Add:
        return (i) => sat(a(i) + k);
      case Op.Sub:
        return (i) => sat(a(i) - k);
      case Op.Mul:
        return (i) => sat(a(i) * k);
      case Op.Div:
        return k === 0 ? () => 0 : (i) => sat(a(i) / k);
      case Op.Mod:
        return k === 0 ? () => 0 : (i) => {
          const x = a(i);
          return sat(x - k * Math.floor(x / k));
        };
      case Op.Lt:
        return (i) => (a(i) < k ? 1 : 0);
      case Op.Le:
        return (i) => (a(i) <= k ? 1 : 0);
      case Op.Gt:
        return (i) => (a(i) > k ? 1 : 0);
      case Op.Ge:
        return (i) => (a(i) >= k ? 1 : 0);
      case Op.Eq:
        return (i) => (a(i) === k ? 1 : 0);
      case Op.Ne:
        return (i) => (a(i) !== k ? 1 : 0);
      case Op.And:
        return k !== 0 ? (i) => (a(i) !== 0 ? 1 : 0) : () => 0;
      case Op.Or:
        return k !== 0 ? () => 1 : (i) => (a(i) !== 0 ? 1 : 0);
      case Op.Min:
        return (i) => {
          const x = a(i);
          return x < k ? x : k;
        };
      default: // Op.Max
        return (i) => {
          const x = a(i);
          return x > k ? x : k;
        };
    }
  }
  const a = fnOf(na);
  const b = fnOf(nb);
  switch (op) {
    case Op.Add:
      return (i) => sat(a(i) + b(i));
    case Op.Sub:
      return (i) => sat(a(i) - b(i));
    case Op.Mul:
      return (i) => sat(a(i) * b(i));
    case Op.Div:
      return (i) => {
        const x = a(i);
        const y = b(i);
        return y === 0 ? 0 : sat(x / y);
      };
    case Op.Mod:
      return (i) => {
        const x = a(i);
        const y = b(i);
        return y === 0 ? 0 : sat(x - y * Math.floor(x / y));
      };
    case Op.Lt:
      return (i) => (a(i) < b(i) ? 1 : 0);
    case Op.Le:
      return (i) => (a(i) <= b(i) ? 1 : 0);
    case Op.Gt:
      return (i) => (a(i) > b(i) ? 1 : 0);
    case Op.Ge:
      return (i) => (a(i) >= b(i) ? 1 : 0);
    case Op.Eq:
      return (i) => (a(i) === b(i) ? 1 : 0);
    case Op.Ne:
      return (i) => (a(i) !== b(i) ? 1 : 0);
    // both sides are evaluated, as in the bytecode machine (random() draws must not depend on the other side)
    case Op.And:
      return (i) => {
        const x = a(i);
        const y = b(i);
        return x !== 0 && y !== 0 ? 1 : 0;
      };
    case Op.Or:
      return (i) => {
        const x = a(i);
        const y = b(i);
        return x !== 0 || y !== 0 ? 1 : 0;
      };
    case Op.Min:
      return (i) => {
        const x = a(i);
        const y = b(i);
        return x < y ? x : y;
      };
    default: // Op.Max
      return (i) => {
        const x = a(i);
        const y = b(i);
        return x > y ? x : y;
      };
  }
}

/** The padded cell a where-code names for env i: here, the rule's target, the cell left, the faced cell. */
function cellFn(h: ExprHost, where: number): (i: number) => number {
  const ctx = h.ctx;
  const pos = h.pos;
  const hd = h.heading;
  const pw = h.paddedWidth;
  switch (where) {
    case 1:
      return () => ctx.target;
    case 2:
      return () => ctx.from;
    case 3:
      return (i) => pos[i] + DX[hd[i]] + DY[hd[i]] * pw;
    default:
      return (i) => pos[i];
  }
}
