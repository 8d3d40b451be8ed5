#!/usr/bin/env node
// The `sidequest` command: runs the TypeScript CLI through tsx, so no build step stands between a clone and
// a run. Errors that escape the command (a timer, a stream, a dependency's callback) end as one line too: the
// wasm backend installs handlers that rethrow them, which makes Node print the throwing line (tens of KB of
// minified source) and exit with code 7; these handlers are installed first, so they run first and exit.
import { register } from 'tsx/esm/api';

let printable = (text) => text.slice(0, 300); // until cli/args.ts's own is loaded
const lastWord = (e) => {
  const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
  process.stderr.write(`${printable(`sidequest: internal error: ${message} (SIDEQUEST_DEBUG=1 shows the stack)`)}\n`);
  if (process.env.SIDEQUEST_DEBUG === '1' && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exit(1);
};
process.on('uncaughtException', lastWord);
process.on('unhandledRejection', lastWord);

register();
({ printable } = await import('../cli/args.ts'));
// `sidequest … | head` closes the pipe early: that is the reader's choice, not an error
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
