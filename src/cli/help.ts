// Usage lines and help texts, written from the declarations: a command's help cannot list an
// option it does not take or miss one it does.
import type { Command, GroupDecl, OptionDecl } from './declare.js';
import { allOptions } from './parse.js';

function optionWords(name: string, d: OptionDecl): string {
  if (d.type === 'boolean') return d.short ? `-${d.short}, --${name}` : `--${name}`;
  return d.type === 'string' && d.short ? `-${d.short}, --${name} ${d.value}` : `--${name} ${d.value}`;
}

function usageWord(name: string, d: OptionDecl): string {
  if (d.type === 'boolean') return `[${d.short ? `-${d.short}` : `--${name}`}]`;
  if (d.type === 'list') return `[--${name} ${d.value}]…`;
  const word = d.type === 'string' && d.short ? `-${d.short} ${d.value}` : `--${name} ${d.value}`;
  return d.type === 'string' && d.required ? word : `[${word}]`;
}

/** usage: zmdev WORDS ARGS [OPTIONS] [--json] [--sim FILE | --sysfs DIR] */
export function usageLine(cmd: Command): string {
  const args = cmd.args.map((a) => (a.variadic ? `[${a.name}]…` : a.optional ? `[${a.name}]` : a.name));
  const own = Object.entries(cmd.options).map(([n, d]) => usageWord(n, d));
  return ['usage: zmdev', ...cmd.words, ...args, ...own, '[--json]', ...(cmd.host ? ['[--sim FILE | --sysfs DIR]'] : [])].join(' ');
}

/** Two columns: names padded to one width, each help line under the previous one. */
function table(rows: Array<[string, string]>): string[] {
  const width = Math.max(...rows.map(([n]) => n.length)) + 2;
  return rows.map(([n, h]) => `  ${n.padEnd(width)}${h.split('\n').join(`\n  ${' '.repeat(width)}`)}`);
}

/** A command's full help; `under` are the commands below it when it is also a group (masks set). */
export function commandHelp(cmd: Command, under: Command[] = []): string {
  const options = allOptions(cmd);
  const lines = [usageLine(cmd), '', cmd.description, ''];
  if (cmd.args.length) lines.push('Arguments:', ...table(cmd.args.map((a) => [a.name, a.help])), '');
  lines.push('Options:', ...table([...Object.entries(options).map(([n, d]): [string, string] => [optionWords(n, d), d.help]),
    ['-h, --help', 'show this help']]), '');
  if (cmd.examples?.length) lines.push('Examples:', ...cmd.examples.map((e) => `  ${e}`), '');
  if (under.length) lines.push('Commands:', ...commandList(under), '');
  return `${lines.join('\n')}`;
}

export function commandList(cmds: Command[]): string[] {
  return table(cmds.map((c) => [c.words.join(' '), c.summary]));
}

/** A group's help: its subcommands with their summaries. */
export function groupHelp(group: GroupDecl, under: Command[]): string {
  return [`usage: zmdev ${group.word} <command> [options]`, '', 'Commands:', ...commandList(under), '',
    `${group.summary}. zmdev ${group.word} <command> --help shows a command's options.`, ''].join('\n');
}

export function overview(cmds: Command[]): string {
  return [
    'usage: zmdev <command> [options]',
    '',
    'AP crypto passthrough for KVM on IBM Z: masks, vfio-ap mediated devices, guests.',
    '',
    'Commands:',
    ...commandList(cmds),
    '',
    'zmdev <command> --help shows a command\'s options; zmdev --version prints the version.',
    '',
  ].join('\n');
}
