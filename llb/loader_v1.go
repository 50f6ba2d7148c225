package llb

import (
	"path"
	"slices"
	"strings"
)

// LoaderName is $0 of the loader shell: sh prefixes its own messages with it.
const LoaderName = "dockerfile-dotenv"

// loaderV1 (frozen: testdata/loader-v1.golden) loads the dotenv file, when
// it is readable, and execs the RUN's own argv ("$@"), so the user's SHELL,
// exec form and exit code are kept.
//
//   - It sources the file with allexport, as the platform's documented
//     `. file` boilerplate does (quotes, multi-line values, `export K=v`,
//     comments), but with errexit and stderr discarded: a malformed file
//     (`TOKEN=abc def` would run `def`) fails the step with a message that
//     names the secret id and never prints any part of a value. The message
//     goes to a copy of stderr (fd 3): bash exits on a syntax error in a
//     sourced file with the discarded stderr still in place.
//   - A file whose first line ends in CR is read line by line with builtins
//     only (no tr or sed needed in the image) and each line, its CR dropped,
//     is evaluated on its own: CRLF files work, one assignment per line.
//   - The loader's own variable is unset before the exec.
//
// @ID@, @PATH@ and @MISSING@ are replaced by loaderV1Args; ID and PATH are
// validated by the configuration to need no quoting.
const loaderV1 = `if [ -r @PATH@ ]; then ` +
	`IFS= read -r _dotenv_l < @PATH@ || :; ` +
	`exec 3>&2 2>/dev/null; ` +
	`trap 'echo "` + LoaderName + `: secret @ID@ is not a valid dotenv file (values are not shown)" >&3; exit 1' EXIT; ` +
	`set -ae; ` +
	`case $_dotenv_l in *` + "\r" + `) ` +
	`while IFS= read -r _dotenv_l || [ -n "$_dotenv_l" ]; do eval "${_dotenv_l%` + "\r" + `}"; done < @PATH@;; ` +
	`*) . @PATH@;; esac; ` +
	`set +ae; trap - EXIT; exec 2>&3 3>&-; unset _dotenv_l; ` +
	`@MISSING@` +
	`fi; exec "$@"`

// missingRequiredV1 is the loader's else branch for a required secret.
const missingRequiredV1 = `else echo "` + LoaderName + `: secret @ID@ is required: pass it with --secret id=@ID@,src=<dotenv file>" >&2; exit 1; `

// loaderV1Args returns the argv that runs in front of a RUN's own argv, with
// the loader run by shell.
func loaderV1Args(s Secret, shell string) []string {
	missing := ""
	if s.Required {
		missing = missingRequiredV1
	}
	script := strings.NewReplacer("@MISSING@", missing).Replace(loaderV1)
	script = strings.NewReplacer("@ID@", s.ID, "@PATH@", s.Target).Replace(script)
	return []string{shell, "-c", script, LoaderName}
}

// loaderShells are the shells that may run the loader in place of /bin/sh.
// Not bash: started as bash, not sh, it would first source $BASH_ENV, which
// the RUN's own bash does again; images with bash have /bin/sh anyway.
var loaderShells = []string{"sh", "ash", "dash"}

// loaderShell returns the shell that runs the loader in front of argv: the
// RUN's own shell when argv starts with an absolute path to one of
// loaderShells, /bin/sh otherwise. So an image without /bin/sh (distroless
// :debug has /busybox/sh) can RUN with `SHELL ["/busybox/sh", "-c"]` as it
// does upstream.
func loaderShell(argv []string) string {
	if len(argv) > 0 && path.IsAbs(argv[0]) && slices.Contains(loaderShells, path.Base(argv[0])) {
		return argv[0]
	}
	return "/bin/sh"
}
