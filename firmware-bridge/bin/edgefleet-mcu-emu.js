#!/usr/bin/env node
import '../dist/cli/mcu-emu-cli.js';
