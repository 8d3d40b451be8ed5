// Turns a scenario's expression bytecode (sim/expr.ts) into closures bound to one engine's arrays, once per
// BatchEnv. The bytecode is the compiled, portable form; the closures are how the hot path runs it: V8 compiles
// each small closure to straight machine code, where a switch-per-instruction interpreter cost ~10 ns an
// instruction. Common shapes (a variable compared with a constant, `heading == left`, arithmetic with a constant
// operand) get closures of their own. Semantics are exactly those of expr.ts (apply1 / apply2): the same
// float64 operations in the same order, division and modulo by zero give 0, overflow saturates at ±1e300.
import { Op, type CompiledExprs } from './expr.ts';
import { AT_HERE, Effect, type CompiledRules } from './rules.ts';
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

/** A value on the build stack: a constant, a variable (kept apart so `var op const` gets one closure), or a closure. */
type Node = { kind: 'const'; v: number } | { kind: 'var'; index: number } | { kind: 'fn'; f: ExprFn };

export function buildExprFns(ex: CompiledExprs, h: ExprHost): ExprFn[] {
  const fns: ExprFn[] = [];
  for (let id = 0; id < ex.start.length; id++) fns.push(build(ex, h, ex.start[id], ex.end[id]));
  return fns;
}

function build(ex: CompiledExprs, h: ExprHost, start: number, end: number): ExprFn {
  const stack: Node[] = [];
  const vars = h.vars;
  const nv = h.numVars;
  const fnOf = (n: Node): ExprFn => {
    if (n.kind === 'fn') return n.f;
    if (n.kind === 'var') {
      const v = n.index;
      return (i) => vars[i * nv + v];
    }
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
      case Op.Var:
        stack.push({ kind: 'var', index: arg });
        break;
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
        stack.push({ kind: 'fn', f: binary(op, na, nb, fnOf, vars, nv) });
      }
    }
  }
  const top = stack.pop()!;
  return fnOf(top);
}

/** Swapping the operands of these leaves the result bit for bit the same (IEEE + and × commute; min/max see no NaN). */
const COMMUTES: Partial<Record<number, number>> = {
  [Op.Add]: Op.Add, [Op.Mul]: Op.Mul, [Op.Eq]: Op.Eq, [Op.Ne]: Op.Ne, [Op.And]: Op.And, [Op.Or]: Op.Or, [Op.Min]: Op.Min, [Op.Max]: Op.Max,
  [Op.Lt]: Op.Gt, [Op.Gt]: Op.Lt, [Op.Le]: Op.Ge, [Op.Ge]: Op.Le,
};

/**
 * A binary operation. A constant operand gets a closure of its own (on the right; moved there when the operation
 * commutes), and `variable op constant` one more: the shapes most formulas are made of.
 */
function binary(op: number, na0: Node, nb0: Node, fnOf: (n: Node) => ExprFn, vars: Float64Array, nv: number): ExprFn {
  let na = na0;
  let nb = nb0;
  if (na.kind === 'const' && nb.kind !== 'const' && COMMUTES[op] !== undefined) {
    na = nb0;
    nb = na0;
    op = COMMUTES[op]!;
  }
  if (nb.kind === 'const' && na.kind === 'var') {
    const k = nb.v;
    const v = na.index;
    switch (op) {
      case Op.Add:
        return (i) => sat(vars[i * nv + v] + k);
      case Op.Sub:
        return (i) => sat(vars[i * nv + v] - k);
      case Op.Mul:
        return (i) => sat(vars[i * nv + v] * k);
      case Op.Div:
        return k === 0 ? () => 0 : (i) => sat(vars[i * nv + v] / k);
      case Op.Lt:
        return (i) => (vars[i * nv + v] < k ? 1 : 0);
      case Op.Le:
        return (i) => (vars[i * nv + v] <= k ? 1 : 0);
      case Op.Gt:
        return (i) => (vars[i * nv + v] > k ? 1 : 0);
      case Op.Ge:
        return (i) => (vars[i * nv + v] >= k ? 1 : 0);
      case Op.Eq:
        return (i) => (vars[i * nv + v] === k ? 1 : 0);
      default:
        break; // the general closures below
    }
  }
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

// ---- generated code --------------------------------------------------------------------------------------------
//
// Where the platform allows it (Node; a browser page whose policy allows eval), each expression also becomes one
// generated function, which V8 compiles with monomorphic feedback: about three times faster than a closure tree.
// The source is built only from what this module writes itself — operators, integer indices and array names; every
// constant is read from the constant pool `C`, never printed — so no text from a scenario file can reach the code.
// Semantics are the closure tree's, operation for operation (test/exprfn.test.ts runs both on every scenario).

const HELPERS = {
  s: sat,
  d: (x: number, y: number) => (y === 0 ? 0 : sat(x / y)),
  m: (x: number, y: number) => (y === 0 ? 0 : sat(x - y * Math.floor(x / y))),
  and: (x: number, y: number) => (x !== 0 && y !== 0 ? 1 : 0),
  or: (x: number, y: number) => (x !== 0 || y !== 0 ? 1 : 0),
  mn: (x: number, y: number) => (x < y ? x : y),
  mx: (x: number, y: number) => (x > y ? x : y),
  cl: (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x),
};

let codegenAvailable: boolean | undefined;
/** Whether `new Function` works here (a Content-Security-Policy without 'unsafe-eval' forbids it). */
export function canGenerateCode(): boolean {
  if (codegenAvailable === undefined) {
    try {
      codegenAvailable = new Function('return 1')() === 1;
    } catch {
      codegenAvailable = false;
    }
  }
  return codegenAvailable;
}

/** One generated function per expression (see above); call only when canGenerateCode(). */
export function generateExprFns(ex: CompiledExprs, h: ExprHost): ExprFn[] {
  const bodies = exprSources(ex, h).map((src) => `function(i){return ${src};}`);
  const make = new Function(...PARAMS, `"use strict";return [${bodies.join(',')}];`) as (...args: unknown[]) => ExprFn[];
  return make(...paramValues(ex, h));
}

/** The names generated code sees, and their values for one engine. */
const PARAMS = ['C', 'V', 'T', 'H', 'P', 'G', 'TB', 'GA', 'R', 'X', 'DX', 'DY', 's', 'd', 'm', 'and', 'or', 'mn', 'mx', 'cl'] as const;
function paramValues(ex: CompiledExprs, h: ExprHost): unknown[] {
  const H2 = HELPERS;
  return [ex.consts, h.vars, h.t, h.heading, h.pos, h.grid, h.tagBits, h.guardActive, h.worldRng, h.ctx, DX, DY, H2.s, H2.d, H2.m, H2.and, H2.or, H2.mn, H2.mx, H2.cl];
}

/** The JavaScript expression (in the names of PARAMS, with the env in `i`) of every formula. */
function exprSources(ex: CompiledExprs, h: ExprHost): string[] {
  const nv = h.numVars;
  const cells = h.cells;
  const pw = h.paddedWidth;
  const cellSrc = (where: number): string =>
    where === 1 ? 'X.target' : where === 2 ? 'X.from' : where === 3 ? `(P[i]+DX[H[i]]+DY[H[i]]*${pw})` : 'P[i]';
  const bodies: string[] = [];
  for (let id = 0; id < ex.start.length; id++) {
    const st: string[] = [];
    for (let pc = ex.start[id]; pc < ex.end[id]; pc += 2) {
      const op = ex.code[pc];
      const arg = ex.code[pc + 1] | 0;
      const un = (f: (a: string) => string) => st.push(f(st.pop()!));
      const bin = (f: (a: string, b: string) => string) => {
        const b = st.pop()!;
        const a = st.pop()!;
        st.push(f(a, b));
      };
      switch (op) {
        case Op.Const: st.push(`C[${arg}]`); break;
        case Op.Var: st.push(`V[i*${nv}+${arg}]`); break;
        case Op.T: st.push('T[i]'); break;
        case Op.Heading: st.push('H[i]'); break;
        case Op.Value: st.push('X.value'); break;
        case Op.Random: st.push('R[i]()'); break;
        case Op.Is: st.push(`(G[i*${cells}+${cellSrc(arg >>> 16)}]===${arg & 0xffff}?1:0)`); break;
        case Op.Tagged: st.push(`((TB[G[i*${cells}+${cellSrc(arg >>> 16)}]]&${(1 << (arg & 0xffff)) >>> 0})!==0?1:0)`); break;
        case Op.Guard: st.push(`GA[${arg}]`); break;
        case Op.Neg: un((a) => `(-${a})`); break;
        case Op.Not: un((a) => `(${a}===0?1:0)`); break;
        case Op.Floor: un((a) => `Math.floor(${a})`); break;
        case Op.Ceil: un((a) => `Math.ceil(${a})`); break;
        case Op.Round: un((a) => `Math.round(${a})`); break;
        case Op.Abs: un((a) => `Math.abs(${a})`); break;
        case Op.Add: bin((a, b) => `s(${a}+${b})`); break;
        case Op.Sub: bin((a, b) => `s(${a}-${b})`); break;
        case Op.Mul: bin((a, b) => `s(${a}*${b})`); break;
        case Op.Div: bin((a, b) => `d(${a},${b})`); break;
        case Op.Mod: bin((a, b) => `m(${a},${b})`); break;
        case Op.Lt: bin((a, b) => `(${a}<${b}?1:0)`); break;
        case Op.Le: bin((a, b) => `(${a}<=${b}?1:0)`); break;
        case Op.Gt: bin((a, b) => `(${a}>${b}?1:0)`); break;
        case Op.Ge: bin((a, b) => `(${a}>=${b}?1:0)`); break;
        case Op.Eq: bin((a, b) => `(${a}===${b}?1:0)`); break;
        case Op.Ne: bin((a, b) => `(${a}!==${b}?1:0)`); break;
        case Op.And: bin((a, b) => `and(${a},${b})`); break;
        case Op.Or: bin((a, b) => `or(${a},${b})`); break;
        case Op.Min: bin((a, b) => `mn(${a},${b})`); break;
        case Op.Max: bin((a, b) => `mx(${a},${b})`); break;
        case Op.Clamp: {
          const c = st.pop()!;
          const b = st.pop()!;
          const a = st.pop()!;
          st.push(`cl(${a},${b},${c})`);
          break;
        }
        default:
          throw new Error(`unknown opcode ${op}`);
      }
    }
    bodies.push(st.pop()!);
  }
  return bodies;
}

/** What a generated rule calls back into: the engine's own effect code. */
export interface RuleHost {
  emit(i: number, kind: number, value: number, at: number): number;
  assign(i: number, v: number, value: number): void;
  setTile(i: number, cell: number, tile: number): void;
  /** The generic path, for the verbs a generated rule does not inline (push, move). */
  effect(i: number, e: number, target: number): number;
  cEnv: number;
}

/** A rule's effects as one function of (env, target, from): returns the first end reason they cause. */
export type RuleFn = (i: number, target: number, from: number) => number;

/**
 * One generated function per rule: its effects, conditions and formulas inlined, in order, with the engine's
 * semantics (see BatchEnv.effects): emit and assign go through the engine; push and move take its generic path.
 */
export function generateRuleFns(rules: CompiledRules, ex: CompiledExprs, h: ExprHost, host: RuleHost): RuleFn[] {
  const src = exprSources(ex, h);
  const bodies: string[] = [];
  for (let r = 0; r < rules.trigger.length; r++) {
    const lines = ['E.cEnv=i;X.target=target;X.from=from;let reason=0,res=0;'];
    for (let e = rules.effStart[r]; e < rules.effEnd[r]; e++) {
      const a = rules.effA[e] | 0;
      const x = rules.effExpr[e] >= 0 ? `(${src[rules.effExpr[e]]})` : '0';
      let stmt: string;
      switch (rules.effOp[e]) {
        case Effect.emit: stmt = `res=E.emit(i,${a},${x},target);if(reason===0)reason=res;`; break;
        case Effect.set: stmt = `E.assign(i,${a},${x});`; break;
        case Effect.add: stmt = `E.assign(i,${a},V[i*${h.numVars}+${a}]+${x});`; break;
        case Effect.replace: stmt = `E.setTile(i,${rules.effB[e] === AT_HERE ? 'P[i]' : 'target'},${a});`; break;
        case Effect.end: stmt = `if(reason===0)reason=${a};`; break;
        default: stmt = `res=E.effect(i,${e},target);if(reason===0)reason=res;`;
      }
      lines.push(rules.effCond[e] >= 0 ? `if((${src[rules.effCond[e]]})!==0){${stmt}}` : stmt);
    }
    lines.push('return reason;');
    bodies.push(`function(i,target,from){${lines.join('')}}`);
  }
  const make = new Function('E', ...PARAMS, `"use strict";return [${bodies.join(',')}];`) as (...args: unknown[]) => RuleFn[];
  return make(host, ...paramValues(ex, h));
}
