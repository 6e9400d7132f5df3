/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The app is served by Tauri's custom protocol from ui/dist. In development
// `vite` serves it on a fixed port (point tauri.conf.json's build.devUrl at it).
export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  // Unit tests (mode "test") resolve `svelte` to its client runtime too.
  resolve: mode === "test" ? { conditions: ["browser"] } : {},
  clearScreen: false,
  envPrefix: ["VITE_", "TAURI_ENV_"],
  server: {
    port: 1420,
    strictPort: true,
    host: "127.0.0.1",
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Never inline assets as data: URLs or inline styles; everything is a file
    // so the strict CSP (default-src 'self') holds.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
    // Compile .svelte.ts modules as for the browser, so the stores are tested
    // with Svelte's client runtime (real $state/$derived reactivity).
    testTransformMode: { web: ["**/*.test.ts"] },
  },
}));
