import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts', testing: 'src/testing.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // The generated loader stays outside the bundle and is reached through package.json "imports".
  external: ['#native'],
  // `import.meta.url` (used to load the addon lazily) also in the CommonJS build.
  shims: true,
})
