package dotenv

// shellVars are the variables dash, busybox sh or bash --posix set, compute
// or protect themselves: assigning one fails or behaves differently in one
// of them (bash: PPID, UID, SHELLOPTS are read-only; RANDOM, SECONDS,
// LINENO are dynamic), and expanding one gives each shell's own value
// whatever the environment says. Neither is allowed. PWD, OLDPWD, SHLVL and
// _ are among them: the shells rewrite them.
var shellVars = map[string]bool{
	"BASH": true, "BASHOPTS": true, "BASHPID": true, "COMP_WORDBREAKS": true,
	"DIRSTACK": true, "EPOCHREALTIME": true, "EPOCHSECONDS": true,
	"EUID": true, "FUNCNAME": true, "GROUPS": true, "HISTCMD": true,
	"HOSTTYPE": true, "IFS": true, "LINENO": true, "MACHTYPE": true,
	"OLDPWD": true, "OPTARG": true, "OPTERR": true, "OPTIND": true,
	"OSTYPE": true, "PIPESTATUS": true, "POSIXLY_CORRECT": true, "PPID": true,
	"PS1": true, "PS2": true, "PS3": true, "PS4": true, "PWD": true,
	"RANDOM": true, "SECONDS": true, "SHELLOPTS": true, "SHLVL": true,
	"SRANDOM": true, "UID": true, "_": true,
}

// shellDefaults are variables the environment normally sets and that the
// shells set to their own, different defaults when it does not. Assigning
// them is fine, and so is expanding them when the file or the environment
// sets them.
var shellDefaults = map[string]bool{
	"HOSTNAME": true, "PATH": true, "SHELL": true, "TERM": true,
}

// isShellVar: one of shellVars, or a BASH_ name other than BASH_ENV (bash
// adds such variables from release to release; BASH_ENV is the user's).
func isShellVar(name string) bool {
	return shellVars[name] || len(name) > 5 && name[:5] == "BASH_" && name != "BASH_ENV"
}

func hasShellDefault(name string) bool { return shellDefaults[name] }
