// Vite build of the viewer: a static site (relative base, so it works from any folder or static host) that
// `sidequest view` serves next to the run folders' API, or that opens episode files on its own. One page per job:
// the replay viewer (index.html), the world editor (editor.html), the lesson (lesson.html, over the train page's
// code) and train-in-the-page (train.html, whose Web
// Worker is bundled as an ES module so it can load tfjs's wasm backend as a separate chunk; the .wasm binaries are
// emitted as assets). public/sample/ (a small real run, scripts/make-sample.ts) is copied in as it is.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const page = (name: string) => fileURLToPath(new URL(name, import.meta.url));

export default defineConfig(({ isPreview }) => ({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
      input: { main: page('index.html'), editor: page('editor.html'), train: page('train.html'), lesson: page('lesson.html') },
      // its warning that plugins took most of a build is noise on a busy 2-core machine (seen in `sidequest view`)
      checks: { bundlerTimings: false },
    },
  },
  worker: { format: 'es' },
  // builds stay quiet; `npx vite preview viewer` must print its address
  logLevel: isPreview ? 'info' : 'warn',
}));
