#!/usr/bin/env node
// The `hookpost` command: the built CLI (run `npm run build` first when working from a clone).
import '../dist/src/main.js';
