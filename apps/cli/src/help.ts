import { commonOptions, type Command, type OptionSpec } from './command.ts'

/** `--config <file>`, `--json`. */
function flag(name: string, spec: OptionSpec): string {
  return `--${name}${spec.type === 'string' ? ` <${spec.valueName ?? 'value'}>` : ''}`
}

function optionLine(name: string, spec: OptionSpec): string {
  return `  ${`${spec.short ? `-${spec.short}, ` : '    '}${flag(name, spec)}`.padEnd(30)} ${spec.description}`
}

/** `elt --help`: every command with its one-line summary. */
export function renderOverview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2
  return [
    'Usage: pnpm elt <command> [options]     (pnpm models <command> is the same)',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Environment: SOURCE_DATABASE_URL and DESTINATION_DATABASE_URL (both unset: embedded PostgreSQL under .elt/),',
    'ELT_MAX_RETRIES, ELT_RETRY_DELAY_SECONDS, ELT_CONNECT_TIMEOUT_SECONDS, ELT_STALL_SECONDS.',
    `Every command takes ${Object.entries(commonOptions).map(([name, spec]) => flag(name, spec)).join(', ')};`,
    'the config is elt.config.ts (or .mjs, .js, .json) in the folder you run it in, else the workspace root, unless --config names one.',
    'Exit codes: 0 success, 1 a load, model or test failed, 2 bad usage or configuration.',
    'Run `pnpm elt <command> --help` for its options; `pnpm elt --version` prints the version.',
  ].join('\n')
}

/** `elt <command> --help`. */
export function renderCommandHelp(command: Command): string {
  const options = { ...command.options, ...commonOptions }
  return [
    `Usage: pnpm elt ${command.name}${command.args ? ` ${command.args}` : ''} [options]`,
    '',
    command.summary,
    '',
    'Options:',
    ...Object.entries(options).map(([name, spec]) => optionLine(name, spec)),
  ].join('\n')
}
