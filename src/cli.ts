#!/usr/bin/env node
// The `inceptionism` command line.
const HELP = `Usage: inceptionism <command> [options]

Commands:
  dream     dream an image (coming with the dream issue)

Options:
  -h, --help  show this help`;

const args = process.argv.slice(2);
if (args.length === 0 || args.includes("--help") || args.includes("-h")) {
  console.log(HELP);
} else {
  console.error(`inceptionism: unknown command "${args[0]}" (run "inceptionism --help")`);
  process.exitCode = 2;
}
