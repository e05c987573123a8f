/**
 * Builds the demo page (web/) into web/dist, which the server serves at `/`. `npm run dev:web`
 * serves it with hot reload on :5173 and forwards the API and WebSocket paths to the server on
 * :1234 (override with TUTORBOARD_DEV_TARGET).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const target = process.env.TUTORBOARD_DEV_TARGET ?? 'http://127.0.0.1:1234';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  resolve: {
    alias: {
      // What users import; points at the client's source until the package entry lands.
      'tutorboard/client': fileURLToPath(new URL('../src/client/index.ts', import.meta.url)),
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: {
      '/ws': { target, ws: true },
      '/dev': target,
      '/demo': target,
      '/api': target,
    },
  },
  clearScreen: false,
  logLevel: 'warn',
});
