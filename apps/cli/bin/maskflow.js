#!/usr/bin/env node
'use strict';
// Built by `npm run build` (which `npm ci` runs through the root `prepare` script).
require('../dist/bin.js');
