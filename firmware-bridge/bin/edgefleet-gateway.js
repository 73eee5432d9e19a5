#!/usr/bin/env node
import '../dist/cli/gateway-cli.js';
