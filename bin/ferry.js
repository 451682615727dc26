#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ (built by `npm run build`, which `npm ci` runs via `prepare`).
// The AWS SDK warns on every run that its 2027 releases will need Node 22; ferry supports Node 20.19+
// today, and a nine-line warning in every log helps nobody at 3 am.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('../dist/cli/main.js');

await main(process.argv.slice(2));
