import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** Where `npm run dev:ui` sends API and socket.io calls (the Nest server). */
const server = process.env.MASKFLOW_SERVER ?? 'http://127.0.0.1:8188';

export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [react()],
  resolve: {
    // The pure workflow library (schemas, validator, graph rules) is shared with the server, from source.
    alias: { '@maskflow/workflow': here('../../libs/workflow/src/index.ts') },
  },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    sourcemap: true,
    rollupOptions: {
      output: {
        // Libraries change less often than the editor: separate chunks stay cached across releases.
        manualChunks(id) {
          if (!id.includes('node_modules')) return undefined;
          if (/[\\/]node_modules[\\/](react|react-dom|scheduler)[\\/]/.test(id)) return 'react';
          if (id.includes('@xyflow') || id.includes('d3-')) return 'xyflow';
          if (/socket\.io|engine\.io/.test(id)) return 'socket';
          if (/[\\/]node_modules[\\/]zod[\\/]/.test(id)) return 'zod';
          return 'vendor';
        },
      },
    },
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': server,
      '/socket.io': { target: server, ws: true },
    },
  },
});
