import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** Component and store tests (jsdom). Browser tests against the real server live in test/ui and run under jest. */
export default defineConfig({
  root: here('.'),
  plugins: [react()],
  resolve: { alias: { '@maskflow/workflow': here('../../libs/workflow/src/index.ts') } },
  test: {
    environment: 'jsdom',
    include: ['test/**/*.test.tsx'],
    setupFiles: ['test/setup.ts'],
    css: false,
    pool: 'threads',
    maxWorkers: 1,
  },
});
