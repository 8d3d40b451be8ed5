// Vite build of the viewer: a static site (relative base, so it works from any folder or static host) that
// `sidequest view` serves next to the run folders' API, or that opens episode files on its own.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    // one page per job: the replay viewer, and the world editor
    rollupOptions: { input: { main: fileURLToPath(new URL('index.html', import.meta.url)), editor: fileURLToPath(new URL('editor.html', import.meta.url)) } },
  },
  logLevel: 'warn',
});
