// Builds the console into the master package (packages/master/ui), which serves it at /ui/.
// Preact through esbuild's automatic JSX runtime: no framework plugin is needed.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/ui/',
  root: fileURLToPath(new URL('.', import.meta.url)),
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../master/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // No inline <script>: the CSP forbids it, so the module preload polyfill stays out too.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
