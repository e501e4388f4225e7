#!/usr/bin/env node
// Runs the TypeScript entry through tsx's loader in this same process (the workspace ships sources, not a
// build), so signals (Ctrl-C, SIGTERM) reach the CLI directly and its exit status is the process's.
import { register } from "tsx/esm/api"

register()
await import("../src/bin.ts")
