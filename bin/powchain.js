#!/usr/bin/env node
// Entry point of the `powchain` executable: the compiled CLI lives in dist/ (built by `npm install`).
import('../dist/cli/main.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
    console.error('powchain: not built yet; run `npm install` (or `npm run build`) in the project folder first');
    process.exit(1);
  }
  throw error;
});
