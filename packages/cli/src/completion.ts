import { Argument, Command, type Option } from 'commander';
import { brineProgram } from './brine-command.js';
import { callProgram } from './call-command.js';
import { runMain, type Io } from './common.js';
import { eventsProgram } from './events-command.js';
import { keyProgram } from './key-command.js';
import { MINION_FUNCTIONS } from './minion-functions.js';
import { RUNNER_FUNCTIONS, runProgram } from './run-command.js';

/** The shells `brine completion` writes a script for. */
export const COMPLETION_SHELLS = ['bash', 'zsh'] as const;
/** One of {@link COMPLETION_SHELLS}. */
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

export { MINION_FUNCTIONS } from './minion-functions.js';

/** Flags whose value is a path, completed from the file system. */
const PATH_FLAGS: ReadonlySet<string> = new Set([
  '--out-file',
  '--config',
  '--state-dir',
  '--file-root',
  '--pillar-root',
]);

/** What the scripts complete for one command. `brine events` and `brine completion` are commands of their own. */
interface CommandSpec {
  /** The name the scripts switch on: `brine`, `brine-key`, ..., `brine-events`, `brine-completion`. */
  name: string;
  flags: string[];
  /** Each flag that takes a value: its choices, `[]` for free text, or `'path'`. */
  values: Map<string, readonly string[] | 'path'>;
  /** The words offered for the first, second, ... positional argument. */
  positionals: (readonly string[] | '$_brine_functions')[];
}

/**
 * Reads the flags off a commander program, so a new option is completed without touching this
 * file. An option with an optional value (`brine-key -L [state]`) is treated as a plain flag.
 */
function specOf(name: string, program: Command, positionals: CommandSpec['positionals']): CommandSpec {
  const flags = ['-h', '--help'];
  const values = new Map<string, readonly string[] | 'path'>();
  for (const o of program.options as readonly Option[]) {
    const spellings = [o.short, o.long].filter((s): s is string => s !== undefined);
    flags.push(...spellings);
    if (!o.required) continue;
    const value = o.long !== undefined && PATH_FLAGS.has(o.long) ? 'path' : (o.argChoices ?? []);
    for (const s of spellings) values.set(s, value);
  }
  return { name, flags, values, positionals };
}

function commandSpecs(): CommandSpec[] {
  const io: Io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {}, exitCode: 0 };
  return [
    specOf('brine', brineProgram(io), [['events', 'completion'], '$_brine_functions']),
    specOf('brine-events', eventsProgram(io), []),
    specOf('brine-completion', completionProgram(io), [COMPLETION_SHELLS]),
    specOf(
      'brine-key',
      keyProgram(io, async () => false),
      [],
    ),
    specOf('brine-run', runProgram(io), [RUNNER_FUNCTIONS]),
    specOf('brine-call', callProgram(io), ['$_brine_functions']),
  ];
}

const quote = (words: readonly string[]): string => `'${words.join(' ')}'`;

/**
 * The shell functions both scripts share. They are plain POSIX shell (`case`, `[`, `$((...))`),
 * which bash and zsh both run, so the two shells complete the same words. They set globals rather
 * than print, so no subshell runs on each Tab.
 */
function sharedFunctions(specs: readonly CommandSpec[]): string {
  const flagCases = specs.map((s) => `    ${s.name}) _brine_words=${quote(s.flags)} ;;`);
  const valueCases: string[] = [];
  for (const s of specs) {
    const byValue = new Map<string, string[]>();
    for (const [flag, value] of s.values) {
      const key = value === 'path' ? 'path' : value.join(' ');
      byValue.set(key, [...(byValue.get(key) ?? []), `'${s.name} ${flag}'`]);
    }
    for (const [key, patterns] of byValue) {
      const action = key === 'path' ? '_brine_mode=path' : `_brine_mode=words _brine_words='${key}'`;
      valueCases.push(`    ${patterns.join('|')}) ${action} ;;`);
    }
  }
  const positionalCases = specs.flatMap((s) =>
    s.positionals.map((p, i) => `    '${s.name} ${i}') _brine_words=${typeof p === 'string' ? p : quote(p)} ;;`),
  );
  return `_brine_functions=${quote(MINION_FUNCTIONS)}

# _brine_flags COMMAND: sets _brine_words to the flags of COMMAND.
_brine_flags() {
  case $1 in
${flagCases.join('\n')}
    *) _brine_words= ;;
  esac
}

# _brine_takes COMMAND FLAG: succeeds when FLAG takes a value, and sets _brine_mode (words or path)
# and _brine_words (the choices, empty for free text).
_brine_takes() {
  _brine_words=
  case "$1 $2" in
${valueCases.join('\n')}
    *) return 1 ;;
  esac
}

# _brine_positional COMMAND N: sets _brine_words to the words for positional argument N (from 0).
_brine_positional() {
  _brine_words=
  case "$1 $2" in
${positionalCases.join('\n')}
  esac
}

# _brine_candidates WORD...: the command line up to the word being completed (the last argument).
# Sets _brine_mode (none, words or path), _brine_words, _brine_cur (the text to match) and
# _brine_prefix (text before the value in --flag=value). bash splits --out=json and role:web at
# = and :, so those come as separate words here.
_brine_candidates() {
  local cmd=\${1##*/} w prev= before= skip= npos=0 i=0 cur
  shift
  _brine_mode=none _brine_words= _brine_prefix=
  while [ $# -gt 1 ]; do
    w=$1
    shift
    i=$((i + 1))
    before=$prev
    prev=$w
    case $w in '='|:) continue ;; esac
    case $before in
      '=') skip= ; continue ;;
      :) continue ;;
    esac
    if [ -n "$skip" ]; then skip= ; continue; fi
    case $w in
      --) ;;
      -*=*) ;;
      -*) if _brine_takes "$cmd" "$w"; then skip=$w; fi ;;
      *)
        if [ $i -eq 1 ] && [ "$cmd" = brine ] && { [ "$w" = events ] || [ "$w" = completion ]; }; then
          cmd=brine-$w
        else
          npos=$((npos + 1))
        fi
        ;;
    esac
  done
  _brine_mode=none _brine_words=
  cur=$1
  _brine_cur=$cur
  [ "$cur" = '=' ] && _brine_cur=
  if [ "$cur" = : ] || [ "$prev" = : ]; then return 0; fi
  if [ -n "$skip" ]; then
    _brine_takes "$cmd" "$skip"
    return 0
  fi
  [ "$cur" = '=' ] && return 0
  case $cur in
    -*=*)
      if _brine_takes "$cmd" "\${cur%%=*}"; then
        _brine_prefix="\${cur%%=*}="
        _brine_cur=\${cur#*=}
      fi
      ;;
    -*)
      _brine_flags "$cmd"
      _brine_mode=words
      ;;
    *)
      _brine_positional "$cmd" "$npos"
      _brine_mode=words
      ;;
  esac
}
`;
}

const COMMANDS = 'brine brine-key brine-run brine-call';

function bashScript(shared: string): string {
  return `# bash completion for ${COMMANDS.replace(/ /g, ', ')}.
# Load it in this shell:  source <(brine completion bash)
# or for every shell:     brine completion bash > /etc/bash_completion.d/brine

${shared}
_brine_bash() {
  _brine_candidates "\${COMP_WORDS[@]:0:COMP_CWORD+1}"
  case $_brine_mode in
    path)
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -f -- "$_brine_cur"))
      ;;
    words) COMPREPLY=($(compgen -W "$_brine_words" -- "$_brine_cur")) ;;
    *) COMPREPLY=() ;;
  esac
}

complete -F _brine_bash ${COMMANDS}
`;
}

function zshScript(shared: string): string {
  return `#compdef ${COMMANDS}
# zsh completion for ${COMMANDS.replace(/ /g, ', ')}.
# Load it in this shell (after compinit):  source <(brine completion zsh)
# or install it:  brine completion zsh > "\${fpath[1]}/_brine"

${shared}
_brine() {
  local -a candidates
  _brine_candidates "\${(@)words[1,CURRENT]}"
  case $_brine_mode in
    path) _files ;;
    words)
      candidates=(\${=_brine_words})
      compadd -P "$_brine_prefix" -- "\${candidates[@]}"
      ;;
  esac
}

if [ "\${funcstack[1]}" = _brine ]; then
  _brine "$@"
else
  compdef _brine ${COMMANDS}
fi
`;
}

/** The completion script for `shell`: commands, flags, `--out` formats, runner and minion function names. */
export function completionScript(shell: CompletionShell): string {
  const shared = sharedFunctions(commandSpecs());
  return shell === 'bash' ? bashScript(shared) : zshScript(shared);
}

/** Builds `brine completion`: prints a shell completion script. */
export function completionProgram(io: Io): Command {
  const program = new Command('brine completion')
    .description('Print a shell completion script for brine, brine-key, brine-run and brine-call.')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices([...COMPLETION_SHELLS]));
  program.addHelpText(
    'after',
    '\nExamples:\n  source <(brine completion bash)\n  brine completion zsh > "${fpath[1]}/_brine"\n',
  );
  program.action((shell: CompletionShell) => {
    io.stdout.write(completionScript(shell));
  });
  return program;
}

/** Runs `brine completion` with an argv (after `completion`) and returns the exit code. */
export function runCompletion(argv: string[], io: Io): Promise<number> {
  return runMain(completionProgram(io), argv, io);
}
