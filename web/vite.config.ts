/// <reference types="vitest" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` serves the app on 127.0.0.1 (the local OpenID provider accepts any
// loopback port for its /callback) and forwards /api to a running local stack.
const api = process.env.RILLET_API_URL ?? "http://127.0.0.1:8787";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    assetsDir: "assets", // a reserved channel name: never shadows a channel
    sourcemap: true,
  },
  server: {
    host: "127.0.0.1",
    port: Number(process.env.WEB_PORT ?? 5173),
    strictPort: true,
    proxy: { "/api": { target: api, changeOrigin: true } },
  },
  test: {
    environment: "node", // component tests opt in: // @vitest-environment jsdom
    globals: true,
    
    include: ["src/**/*.test.{ts,tsx}"],
    testTimeout: 30_000,
  },
});
