// The scenario expression language: parsing a formula such as `floor(workProgress / jobWork)` or
// `tunnelOpen > 0 and not tagged(from, outside)` into bytecode for a small stack machine, and running it.
// Compiled once per scenario, run allocation-free on the hot path. The language has no loops and no recursion,
// and every value is a finite float64 (division or modulo by zero gives 0), so no input can make it hang or
// produce NaN. Names are resolved by the caller (sim/scenario.ts): parameters fold to constants, `define`s are
// inlined, variables index the engine's per-env array.

/** Opcodes: each instruction is two Int32 words, [op, arg]. */
export const Op = {
  Const: 0, // push consts[arg]
  Var: 1, // push variable arg of the current env
  T: 2, // push steps taken in the episode
  Heading: 3,
  Value: 4, // push the value of the event being weighed (reward / performance / cost terms)
  Random: 5, // push a uniform [0, 1) draw from the env's world stream
  Is: 6, // arg = where << 16 | tile code: 1 if that cell holds the tile
  Tagged: 7, // arg = where << 16 | tag index: 1 if that cell's tile carries the tag
  Guard: 8, // push 1 if env-side guardrail arg is active
  Neg: 10,
  Not: 11,
  Add: 12,
  Sub: 13,
  Mul: 14,
  Div: 15,
  Mod: 16,
  Lt: 17,
  Le: 18,
  Gt: 19,
  Ge: 20,
  Eq: 21,
  Ne: 22,
  And: 23,
  Or: 24,
  Floor: 25,
  Ceil: 26,
  Round: 27,
  Abs: 28,
  Min: 29, // binary; min(a, b, c) compiles to two
  Max: 30,
  Clamp: 31, // three operands
} as const;

/** Cells an expression may look at: the agent's, the rule's target, the one being left, the one faced. */
export const WHERE = ['here', 'target', 'from', 'ahead'] as const;
export type Where = (typeof WHERE)[number];

/** Longest expression text, deepest nesting and most instructions: bounds on what a file can ask for. */
export const MAX_EXPR_CHARS = 400;
const MAX_DEPTH = 24;
export const MAX_STACK = 64;
/**
 * Definitions are inlined, so a formula's size is what it becomes after inlining: without these bounds a chain
 * of definitions each using the next twice doubles per level (2^40 nodes from 40 short lines), and a long
 * chain recurses once per level.
 */
export const MAX_INLINE_DEPTH = 16;
export const MAX_NODES = 2000;
/** Instruction pairs of all a scenario's formulas together: bounds the work of one step. */
export const MAX_PROGRAM = 65536;

export class ExprError extends Error {
  constructor(readonly col: number, detail: string) {
    super(detail);
  }
}

/** An error about the formula as a whole (its size after inlining): reported as is, not once per definition. */
class ExprBoundError extends ExprError {}

/** What a name means, decided by the scenario compiler. */
export type NameMeaning =
  | { readonly kind: 'const'; readonly value: number }
  | { readonly kind: 'var'; readonly index: number }
  | { readonly kind: 'inline'; readonly text: string }
  | { readonly kind: 'op'; readonly op: number };

export interface NameResolver {
  name(id: string): NameMeaning | undefined;
  tile(id: string): number | undefined;
  tag(id: string): number | undefined;
  guardrail(id: string): number | undefined;
  /** Names a person could have meant, for the error message. */
  known(): readonly string[];
}

type Node =
  | { k: 'num'; v: number }
  | { k: 'op'; op: number; arg: number }
  | { k: 'un'; op: number; a: Node }
  | { k: 'bin'; op: number; a: Node; b: Node }
  | { k: 'clamp'; a: Node; b: Node; c: Node };

interface Token {
  t: 'num' | 'id' | 'sym' | 'end';
  s: string;
  col: number;
}

function tokenize(text: string): Token[] {
  if (text.length > MAX_EXPR_CHARS) throw new ExprError(1, `expected an expression of at most ${MAX_EXPR_CHARS} characters, found ${text.length}`);
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n') {
      i++;
      continue;
    }
    const col = i + 1;
    const num = /^(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?)/i.exec(text.slice(i));
    if (num) {
      out.push({ t: 'num', s: num[0], col });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (id) {
      out.push({ t: 'id', s: id[0], col });
      i += id[0].length;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (['<=', '>=', '==', '!=', '&&', '||'].includes(two)) {
      out.push({ t: 'sym', s: two, col });
      i += 2;
      continue;
    }
    if ('+-*/%()<>,!'.includes(c)) {
      out.push({ t: 'sym', s: c, col });
      i++;
      continue;
    }
    throw new ExprError(col, `unexpected character '${c}' at col ${col}`);
  }
  out.push({ t: 'end', s: '', col: text.length + 1 });
  return out;
}

const FUNCTIONS: Record<string, { arity: [number, number]; op?: number }> = {
  floor: { arity: [1, 1], op: Op.Floor },
  ceil: { arity: [1, 1], op: Op.Ceil },
  round: { arity: [1, 1], op: Op.Round },
  abs: { arity: [1, 1], op: Op.Abs },
  min: { arity: [2, 8], op: Op.Min },
  max: { arity: [2, 8], op: Op.Max },
  mod: { arity: [2, 2], op: Op.Mod },
  clamp: { arity: [3, 3] },
  random: { arity: [0, 0] },
  is: { arity: [2, 2] },
  tagged: { arity: [2, 2] },
  guardrail: { arity: [1, 1] },
};

class Parser {
  private p = 0;
  constructor(
    private readonly toks: Token[],
    private readonly names: NameResolver,
    private readonly inlining: readonly string[],
    /** Nodes made so far by this parser and the parsers of the definitions it inlines. */
    private readonly budget: { nodes: number } = { nodes: 0 },
  ) {}

  /** Counts a node against the formula's budget. */
  private node<N extends Node>(n: N): N {
    if (++this.budget.nodes > MAX_NODES) throw new ExprBoundError(1, `expected a formula of at most ${MAX_NODES} operations once definitions are inlined, found more`);
    return n;
  }

  parse(): Node {
    const n = this.or(0);
    const t = this.peek();
    if (t.t !== 'end') throw new ExprError(t.col, `unexpected '${t.s}' at col ${t.col}`);
    return n;
  }

  private peek(): Token {
    return this.toks[this.p];
  }
  private next(): Token {
    return this.toks[this.p++];
  }
  private isWord(s: string): boolean {
    const t = this.peek();
    return (t.t === 'id' || t.t === 'sym') && t.s === s;
  }
  private expect(s: string): void {
    const t = this.next();
    if (t.s !== s) throw new ExprError(t.col, `expected '${s}' at col ${t.col}, found ${t.t === 'end' ? 'the end' : `'${t.s}'`}`);
  }
  private depth(d: number): number {
    if (d > MAX_DEPTH) throw new ExprError(this.peek().col, `expected at most ${MAX_DEPTH} levels of nesting`);
    return d + 1;
  }

  private or(d: number): Node {
    let a = this.and(this.depth(d));
    while (this.isWord('or') || this.isWord('||')) {
      this.next();
      a = this.node({ k: 'bin', op: Op.Or, a, b: this.and(d + 1) });
    }
    return a;
  }
  private and(d: number): Node {
    let a = this.not(this.depth(d));
    while (this.isWord('and') || this.isWord('&&')) {
      this.next();
      a = this.node({ k: 'bin', op: Op.And, a, b: this.not(d + 1) });
    }
    return a;
  }
  private not(d: number): Node {
    if (this.isWord('not') || this.isWord('!')) {
      this.next();
      return this.node({ k: 'un', op: Op.Not, a: this.not(this.depth(d)) });
    }
    return this.cmp(d);
  }
  private cmp(d: number): Node {
    const a = this.sum(this.depth(d));
    const ops: Record<string, number> = { '<': Op.Lt, '<=': Op.Le, '>': Op.Gt, '>=': Op.Ge, '==': Op.Eq, '!=': Op.Ne };
    const t = this.peek();
    if (t.t === 'sym' && t.s in ops) {
      this.next();
      return this.node({ k: 'bin', op: ops[t.s], a, b: this.sum(d + 1) });
    }
    return a;
  }
  private sum(d: number): Node {
    let a = this.prod(this.depth(d));
    for (;;) {
      const t = this.peek();
      if (t.t !== 'sym' || (t.s !== '+' && t.s !== '-')) return a;
      this.next();
      a = this.node({ k: 'bin', op: t.s === '+' ? Op.Add : Op.Sub, a, b: this.prod(d + 1) });
    }
  }
  private prod(d: number): Node {
    let a = this.unary(this.depth(d));
    for (;;) {
      const t = this.peek();
      if (t.t !== 'sym' || (t.s !== '*' && t.s !== '/' && t.s !== '%')) return a;
      this.next();
      a = this.node({ k: 'bin', op: t.s === '*' ? Op.Mul : t.s === '/' ? Op.Div : Op.Mod, a, b: this.unary(d + 1) });
    }
  }
  private unary(d: number): Node {
    if (this.isWord('-')) {
      this.next();
      return this.node({ k: 'un', op: Op.Neg, a: this.unary(this.depth(d)) });
    }
    return this.atom(this.depth(d));
  }
  private atom(d: number): Node {
    const t = this.next();
    if (t.t === 'num') {
      const v = Number(t.s);
      if (!Number.isFinite(v) || Math.abs(v) > 1e12) throw new ExprError(t.col, `expected a number of at most 1e12, found ${t.s}`);
      return this.node({ k: 'num', v });
    }
    if (t.t === 'sym' && t.s === '(') {
      const n = this.or(d);
      this.expect(')');
      return n;
    }
    if (t.t !== 'id') throw new ExprError(t.col, `expected a number, a name or '(' at col ${t.col}, found ${t.t === 'end' ? 'the end' : `'${t.s}'`}`);
    if (t.s === 'not' || t.s === 'and' || t.s === 'or') {
      throw new ExprError(t.col, `unexpected '${t.s}' at col ${t.col}: inside arithmetic, put a condition in brackets, as in (not x) or (a and b)`);
    }
    if (this.isWord('(')) return this.call(t, d);
    if (t.s === 'true') return { k: 'num', v: 1 };
    if (t.s === 'false') return { k: 'num', v: 0 };
    const m = this.names.name(t.s);
    if (!m) {
      const known = this.names.known();
      throw new ExprError(t.col, `unknown name "${t.s}" at col ${t.col}; expected a parameter, variable or definition (${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''})`);
    }
    if (m.kind === 'const') return this.node({ k: 'num', v: m.value });
    if (m.kind === 'var') return this.node({ k: 'op', op: Op.Var, arg: m.index });
    if (m.kind === 'op') return this.node({ k: 'op', op: m.op, arg: 0 });
    if (this.inlining.includes(t.s)) throw new ExprError(t.col, `definition "${t.s}" refers to itself (${[...this.inlining, t.s].join(' → ')})`);
    if (this.inlining.length >= MAX_INLINE_DEPTH) {
      throw new ExprBoundError(t.col, `expected definitions inlined at most ${MAX_INLINE_DEPTH} levels deep, found more (${this.inlining.slice(0, 3).join(' → ')} → … → ${t.s})`);
    }
    try {
      return new Parser(tokenize(m.text), this.names, [...this.inlining, t.s], this.budget).parse();
    } catch (e) {
      // only the parser's own errors are wrapped; the bounds are about the whole formula and pass through once
      if (!(e instanceof ExprError)) throw e;
      if (e instanceof ExprBoundError) throw e;
      if (e.message.startsWith('definition "')) throw new ExprError(t.col, e.message);
      throw new ExprError(t.col, `in definition "${t.s}": ${e.message}`);
    }
  }

  private call(name: Token, d: number): Node {
    // own properties only: `toString(…)` or `constructor(…)` must not find Object.prototype's
    const f = Object.hasOwn(FUNCTIONS, name.s) ? FUNCTIONS[name.s] : undefined;
    if (!f) throw new ExprError(name.col, `unknown function "${name.s}" at col ${name.col}; expected one of ${Object.keys(FUNCTIONS).join(', ')}`);
    this.expect('(');
    const rawArgs: Token[] = [];
    const args: Node[] = [];
    if (name.s === 'is' || name.s === 'tagged' || name.s === 'guardrail') {
      // these take names, not values
      for (;;) {
        const a = this.next();
        if (a.t !== 'id') throw new ExprError(a.col, `expected a name at col ${a.col} in ${name.s}(…), found ${a.t === 'end' ? 'the end' : `'${a.s}'`}`);
        rawArgs.push(a);
        if (!this.isWord(',')) break;
        this.next();
      }
    } else if (!this.isWord(')')) {
      for (;;) {
        args.push(this.or(d));
        if (!this.isWord(',')) break;
        this.next();
      }
    }
    this.expect(')');
    const n = rawArgs.length + args.length;
    if (n < f.arity[0] || n > f.arity[1]) {
      const want = f.arity[0] === f.arity[1] ? `${f.arity[0]}` : `${f.arity[0]} to ${f.arity[1]}`;
      throw new ExprError(name.col, `expected ${want} argument${f.arity[1] === 1 ? '' : 's'} to ${name.s}(), found ${n}`);
    }
    switch (name.s) {
      case 'random':
        return this.node({ k: 'op', op: Op.Random, arg: 0 });
      case 'clamp':
        return this.node({ k: 'clamp', a: args[0], b: args[1], c: args[2] });
      case 'guardrail': {
        const g = this.names.guardrail(rawArgs[0].s);
        if (g === undefined) throw new ExprError(rawArgs[0].col, `unknown guardrail "${rawArgs[0].s}" in guardrail(…)`);
        return this.node({ k: 'op', op: Op.Guard, arg: g });
      }
      case 'is':
      case 'tagged': {
        const w = (WHERE as readonly string[]).indexOf(rawArgs[0].s);
        if (w < 0) throw new ExprError(rawArgs[0].col, `expected a cell (${WHERE.join(', ')}) as the first argument of ${name.s}(…), found "${rawArgs[0].s}"`);
        const what = rawArgs[1].s;
        const code = name.s === 'is' ? this.names.tile(what) : this.names.tag(what);
        if (code === undefined) throw new ExprError(rawArgs[1].col, `unknown ${name.s === 'is' ? 'tile' : 'tag'} "${what}" in ${name.s}(…)`);
        return this.node({ k: 'op', op: name.s === 'is' ? Op.Is : Op.Tagged, arg: (w << 16) | code });
      }
      default: {
        if (f.arity[1] === 1) return this.node({ k: 'un', op: f.op!, a: args[0] });
        let acc = args[0];
        for (let j = 1; j < args.length; j++) acc = this.node({ k: 'bin', op: f.op!, a: acc, b: args[j] });
        return acc;
      }
    }
  }
}

/** Folds operations on constants (parameters make most of a formula constant). */
function fold(n: Node): Node {
  if (n.k === 'un') {
    const a = fold(n.a);
    if (a.k === 'num') return { k: 'num', v: apply1(n.op, a.v) };
    return { ...n, a };
  }
  if (n.k === 'bin') {
    const a = fold(n.a);
    const b = fold(n.b);
    if (a.k === 'num' && b.k === 'num') return { k: 'num', v: apply2(n.op, a.v, b.v) };
    return { ...n, a, b };
  }
  if (n.k === 'clamp') {
    const a = fold(n.a);
    const b = fold(n.b);
    const c = fold(n.c);
    if (a.k === 'num' && b.k === 'num' && c.k === 'num') return { k: 'num', v: clamp3(a.v, b.v, c.v) };
    return { k: 'clamp', a, b, c };
  }
  return n;
}

export function apply1(op: number, a: number): number {
  switch (op) {
    case Op.Neg:
      return -a;
    case Op.Not:
      return a === 0 ? 1 : 0;
    case Op.Floor:
      return Math.floor(a);
    case Op.Ceil:
      return Math.ceil(a);
    case Op.Round:
      return Math.round(a);
    case Op.Abs:
      return Math.abs(a);
    default:
      throw new Error(`not a unary op: ${op}`);
  }
}

export function apply2(op: number, a: number, b: number): number {
  switch (op) {
    case Op.Add:
      return finite(a + b);
    case Op.Sub:
      return finite(a - b);
    case Op.Mul:
      return finite(a * b);
    case Op.Div:
      return b === 0 ? 0 : finite(a / b);
    case Op.Mod:
      // saturated like every other result: with |a / b| beyond float64 the remainder is ±Infinity, and
      // Infinity * 0 is NaN (sim/exprfn.ts saturates the same way, so folded and run formulas agree)
      return b === 0 ? 0 : finite(a - b * Math.floor(a / b));
    case Op.Lt:
      return a < b ? 1 : 0;
    case Op.Le:
      return a <= b ? 1 : 0;
    case Op.Gt:
      return a > b ? 1 : 0;
    case Op.Ge:
      return a >= b ? 1 : 0;
    case Op.Eq:
      return a === b ? 1 : 0;
    case Op.Ne:
      return a !== b ? 1 : 0;
    case Op.And:
      return a !== 0 && b !== 0 ? 1 : 0;
    case Op.Or:
      return a !== 0 || b !== 0 ? 1 : 0;
    case Op.Min:
      return a < b ? a : b;
    case Op.Max:
      return a > b ? a : b;
    default:
      throw new Error(`not a binary op: ${op}`);
  }
}

export function clamp3(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Overflow saturates instead of reaching ±Infinity (and, from there, NaN). */
export function finite(v: number): number {
  return v > 1e300 ? 1e300 : v < -1e300 ? -1e300 : v;
}

/** Bytecode for every expression of one scenario: instruction pairs and a constant pool. */
export class ExprProgram {
  private readonly code: number[] = [];
  private readonly consts: number[] = [];
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly constValue: Array<number | undefined> = [];
  /** True when some expression draws random numbers (the engine then seeds a world stream per episode). */
  usesRandom = false;

  /** Compiles `source` (a number, boolean or formula); returns its id. Throws ExprError. */
  add(source: number | string | boolean, names: NameResolver, bound?: number): number {
    let parsed: Node = typeof source === 'string' ? new Parser(tokenize(source), names, []).parse() : { k: 'num', v: Number(source) };
    // a bound keeps a result within ±bound: reward, performance and cost terms land in float32 buffers, where
    // a formula's saturated 1e300 would be Infinity
    if (bound !== undefined) parsed = { k: 'clamp', a: parsed, b: { k: 'num', v: -bound }, c: { k: 'num', v: bound } };
    const node = fold(parsed);
    const id = this.starts.length;
    const start = this.code.length;
    this.starts.push(start);
    const depth = this.emit(node, 0);
    if (depth > MAX_STACK) throw new ExprError(1, `expression needs a stack deeper than ${MAX_STACK}`);
    if (this.code.length > 2 * MAX_PROGRAM) {
      this.code.length = start;
      this.starts.pop();
      throw new ExprError(1, `expected at most ${MAX_PROGRAM} operations in all the scenario's formulas together, found more`);
    }
    this.ends.push(this.code.length);
    this.constValue.push(node.k === 'num' ? node.v : undefined);
    return id;
  }

  /** The value of expression `id` if it does not depend on the state. */
  constantOf(id: number): number | undefined {
    return this.constValue[id];
  }

  private emit(n: Node, sp: number): number {
    switch (n.k) {
      case 'num':
        this.code.push(Op.Const, this.constant(n.v));
        return sp + 1;
      case 'op':
        if (n.op === Op.Random) this.usesRandom = true;
        this.code.push(n.op, n.arg);
        return sp + 1;
      case 'un': {
        const d = this.emit(n.a, sp);
        this.code.push(n.op, 0);
        return d;
      }
      case 'bin': {
        const da = this.emit(n.a, sp);
        const db = this.emit(n.b, sp + 1);
        this.code.push(n.op, 0);
        return Math.max(da, db);
      }
      case 'clamp': {
        const da = this.emit(n.a, sp);
        const db = this.emit(n.b, sp + 1);
        const dc = this.emit(n.c, sp + 2);
        this.code.push(Op.Clamp, 0);
        return Math.max(da, db, dc);
      }
    }
  }

  private constant(v: number): number {
    const k = this.consts.indexOf(v);
    if (k >= 0) return k;
    this.consts.push(v);
    return this.consts.length - 1;
  }

  /** The frozen form the engine runs. */
  freeze(): CompiledExprs {
    const deps = new Uint8Array(this.starts.length);
    for (let id = 0; id < this.starts.length; id++) {
      let d = 0;
      for (let pc = this.starts[id]; pc < this.ends[id]; pc += 2) {
        const op = this.code[pc];
        if (op === Op.Var) d |= DEP_VARS;
        else if (op === Op.T) d |= DEP_T;
        else if (op === Op.Heading) d |= DEP_HEADING;
        // a cell's tile; `ahead` moves with the heading too
        else if (op === Op.Is || op === Op.Tagged) d |= DEP_CELLS | (this.code[pc + 1] >>> 16 === 3 ? DEP_HEADING : 0);
        else if (op === Op.Random || op === Op.Value) d |= DEP_ALWAYS;
      }
      deps[id] = d;
    }
    return {
      code: Int32Array.from(this.code),
      consts: Float64Array.from(this.consts),
      start: Int32Array.from(this.starts),
      end: Int32Array.from(this.ends),
      deps,
      constant: Float64Array.from(this.constValue, (v) => (v === undefined ? Number.NaN : v)),
      usesRandom: this.usesRandom,
    };
  }
}

/** What an expression's value depends on (bits of CompiledExprs.deps): the engine re-evaluates it only then. */
export const DEP_VARS = 1;
export const DEP_T = 2;
export const DEP_HEADING = 4;
/** The agent's position or a tile (is / tagged). */
export const DEP_CELLS = 8;
/** random() or an event's value: never cached. */
export const DEP_ALWAYS = 16;

export interface CompiledExprs {
  /** [op, arg] pairs, every expression's instructions contiguous. */
  readonly code: Int32Array;
  readonly consts: Float64Array;
  /** Per expression id: its instructions are code[start[id] .. end[id]). */
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** Per expression id: DEP_* bits. */
  readonly deps: Uint8Array;
  /** Per expression id: its value if it is a constant (parameters folded), else NaN. */
  readonly constant: Float64Array;
  readonly usesRandom: boolean;
}
