// `sidequest play <scenario>`: a person plays in the terminal — arrow keys move, space interacts — and sees
// the board, the HUD and each step's events and firewall alerts. With stdin not a terminal it reads action
// letters (u r d l s i) instead, so a scripted session can be piped in: `echo rrdi | sidequest play rome`.
import { emitKeypressEvents } from 'node:readline';
import { loadScenario } from '../sim/load.ts';
import { resolveEnvGuardrails } from '../sim/guardrails.ts';
import { Env, type StepResult } from '../sim/env.ts';
import { renderBoard, renderHud, renderLegend } from '../sim/render.ts';
import { Action, ACTION_LETTERS, ACTION_NAMES } from '../sim/vocab.ts';
import { defineCommand, listFlag, parseCommand, printable, UsageError } from './args.ts';

const command = defineCommand({
  name: 'play',
  synopsis: '<scenario> [--seed N] [--guardrail LIST]',
  flags: {
    seed: { type: 'number', default: 0, integer: true, min: 0, description: 'episode seed (the layout)' },
    guardrail: { type: 'string', description: "env guardrails, comma separated; default: the scenario's" },
  },
});

const KEYS: Record<string, number> = { up: Action.Up, right: Action.Right, down: Action.Down, left: Action.Left, space: Action.Interact, return: Action.Interact, i: Action.Interact, s: Action.Stay, '.': Action.Stay };

export async function runPlay(argv: string[]): Promise<number> {
  const parsed = parseCommand(command, argv);
  if (!parsed) return 0;
  if (parsed.positionals.length !== 1) throw new UsageError('expected one scenario (e.g. rome)');
  const scenario = loadScenario(parsed.positionals[0]);
  const env = new Env(scenario, resolveEnvGuardrails(scenario, listFlag(parsed.flags.guardrail)));
  let seed = parsed.flags.seed;
  env.reset({ seed });
  const legend = printable(renderLegend(scenario));
  const draw = (last?: StepResult, action?: number) => {
    const lines = [renderBoard(env.batch), '', renderHud(env.batch)];
    if (action !== undefined) lines.push(`action: ${ACTION_NAMES[action]}`);
    if (last?.events.length) lines.push(`events: ${last.events.map((e) => e.kind).join(', ')}`);
    if (last?.alerts.length) lines.push(`FIREWALL ALERT: ${last.alerts.join(', ')}`);
    return lines.join('\n');
  };

  if (!process.stdin.isTTY) {
    // scripted: action letters from stdin, one step each, the final screen printed
    const text = await new Promise<string>((res) => {
      let buf = '';
      process.stdin.setEncoding('utf8');
      process.stdin.on('data', (d) => (buf += d));
      process.stdin.on('end', () => res(buf));
    });
    let last: StepResult | undefined;
    let action: number | undefined;
    for (const ch of text.replace(/\s+/g, '')) {
      action = (ACTION_LETTERS as readonly string[]).indexOf(ch);
      if (action < 0) throw new UsageError(`unknown action letter '${ch}': expected one of ${ACTION_LETTERS.join(' ')}`);
      last = env.step(action);
      if (last.events.length || last.alerts.length) console.log(`step ${env.batch.t[0]}: ${[...last.events.map((e) => e.kind), ...last.alerts.map((a) => `alert:${a}`)].join(', ')}`);
      if (last.terminated || last.truncated) {
        console.log(`episode ended: ${last.reason}`);
        break;
      }
    }
    console.log(draw(last, action));
    return 0;
  }

  const out = process.stdout;
  const show = (body: string) => out.write(`\x1b[2J\x1b[H${scenario.title} — seed ${seed}\n\n${body}\n\n${legend}\narrows move · space interacts · s stays · n new layout · q quits\n`);
  show(draw());
  emitKeypressEvents(process.stdin);
  process.stdin.setRawMode(true);
  let ended = false;
  return new Promise<number>((resolve) => {
    process.stdin.on('keypress', (_str: string, key: { name?: string; sequence?: string; ctrl?: boolean }) => {
      const name = key.name ?? key.sequence ?? '';
      if (name === 'q' || (key.ctrl && name === 'c')) {
        process.stdin.setRawMode(false);
        process.stdin.pause();
        resolve(0);
        return;
      }
      if (name === 'n') {
        seed++;
        env.reset({ seed });
        ended = false;
        show(draw());
        return;
      }
      const action = KEYS[name];
      // after the end the final screen (board, return, performance, costs) stays until n or q
      if (action === undefined || ended) return;
      const r = env.step(action);
      let body = draw(r, action);
      if (r.terminated || r.truncated) {
        ended = true;
        body += `\n\nepisode ended (${printable(r.reason)}) after ${env.batch.t[0]} steps: return ${env.batch.epReturn[0].toFixed(2)}, hidden performance ${env.batch.epPerformance[0].toFixed(2)}. New layout: n · quit: q`;
      }
      show(body);
    });
  });
}
