package dotenv

// The command line of the loader program (cmd/dotenv-loader), for the pass
// that puts it in front of a RUN's argv:
//
//	dotenv-loader --id=<id> --file=<path> [--required] -- <argv…>
const (
	FlagID       = "--id="
	FlagFile     = "--file="
	FlagRequired = "--required"
	FlagEnd      = "--"
)

// Exit codes of the loader. As with env, nice or timeout: 125 when the
// loader itself fails (the file is invalid, missing but required,
// unreadable or too large, or the flags are wrong), 126 when the command
// is found but cannot be executed, 127 when it is not found. Otherwise the
// command's own exit status, since the loader execs it.
const (
	ExitLoadFailed = 125
	ExitCannotRun  = 126
	ExitNotFound   = 127
)

// MessagePrefix starts every line the loader prints.
const MessagePrefix = "dockerfile-dotenv: "

// LoaderArgs returns the argv that runs argv through the loader at path.
func LoaderArgs(path, id, file string, required bool, argv []string) []string {
	args := []string{path, FlagID + id, FlagFile + file}
	if required {
		args = append(args, FlagRequired)
	}
	args = append(args, FlagEnd)
	return append(args, argv...)
}
