// The command tree as data — words, arguments and options with their types and help — for shell
// completion (bash, zsh) and a man page, taken from the same declarations as parsing and help.
import type { OptionDecl } from './declare.js';
import { allOptions } from './parse.js';
import { commands, groups } from './registry.js';

export interface CompletionOption {
  /** --name, and -x where it has a short form. */
  names: string[];
  type: OptionDecl['type'];
  /** The value's placeholder (ID, FILE …); absent for a flag. */
  value?: string;
  choices?: readonly string[];
  repeatable: boolean;
  required: boolean;
  help: string;
}

export interface CompletionArg {
  name: string;
  type: 'string' | 'uuid';
  optional: boolean;
  variadic: boolean;
  help: string;
}

export interface CompletionNode {
  word: string;
  summary: string;
  /** Subcommands (a group, or a command that is also one, like masks). */
  children: CompletionNode[];
  /** Present when the words name a command. */
  args?: CompletionArg[];
  options?: CompletionOption[];
}

const helpOption: CompletionOption = { names: ['--help', '-h'], type: 'boolean', repeatable: false, required: false, help: 'show the help' };

function optionsOf(options: Record<string, OptionDecl>): CompletionOption[] {
  return [...Object.entries(options).map(([name, d]): CompletionOption => ({
    names: [`--${name}`, ...((d.type === 'boolean' || d.type === 'string') && d.short ? [`-${d.short}`] : [])],
    type: d.type,
    ...(d.type === 'boolean' ? {} : { value: d.value }),
    ...(d.type === 'string' && d.choices ? { choices: d.choices } : {}),
    repeatable: d.type === 'list',
    required: d.type === 'string' && d.required === true,
    help: d.help,
  })), helpOption];
}

/** The whole tree: zmdev at the root, its groups and commands below. */
export function completionTree(): CompletionNode {
  const root: CompletionNode = {
    word: 'zmdev',
    summary: 'AP crypto passthrough for KVM on IBM Z',
    children: [],
    options: [helpOption, { names: ['--version', '-V'], type: 'boolean', repeatable: false, required: false, help: 'print the version' }],
  };
  const nodeFor = (words: string[]): CompletionNode => {
    let node = root;
    for (const w of words) {
      let child = node.children.find((c) => c.word === w);
      if (!child) {
        child = { word: w, summary: groups.find((g) => g.word === w)?.summary ?? '', children: [] };
        node.children.push(child);
      }
      node = child;
    }
    return node;
  };
  for (const cmd of commands) {
    const node = nodeFor(cmd.words);
    node.summary = cmd.summary;
    node.args = cmd.args.map((a) => ({ name: a.name, type: a.type ?? 'string', optional: a.optional === true, variadic: a.variadic === true, help: a.help }));
    node.options = optionsOf(allOptions(cmd));
  }
  return root;
}
