package dotenv

// The command line of the loader program (cmd/dotenv-loader), for the pass
// that puts it in front of a RUN's argv:
//
//	dotenv-loader --id=<id> --file=<path> [--required] [--mask] -- <argv…>
//
// With --mask, the loader stays the parent of the command and replaces the
// file's values in its stdout and stderr by "***" (package mask).
const (
	FlagID       = "--id="
	FlagFile     = "--file="
	FlagRequired = "--required"
	FlagMask     = "--mask"
	FlagEnd      = "--"
)

// Exit codes of the loader. As with env, nice or timeout: 125 when the
// loader itself fails (the file is invalid, missing but required,
// unreadable or too large, or the flags are wrong), 126 when the command
// is found but cannot be executed, 127 when it is not found. Otherwise the
// command's own exit status: the loader execs it, or, when it masks,
// exits with the command's code, or dies of the command's signal (128 +
// the signal when it cannot, as PID 1: what runc reports either way).
const (
	ExitLoadFailed = 125
	ExitCannotRun  = 126
	ExitNotFound   = 127
)

// MessagePrefix starts every line the loader prints.
const MessagePrefix = "dockerfile-dotenv: "

// LoaderArgs returns the argv that runs argv through the loader at path.
func LoaderArgs(path, id, file string, required, mask bool, argv []string) []string {
	args := []string{path, FlagID + id, FlagFile + file}
	if required {
		args = append(args, FlagRequired)
	}
	if mask {
		args = append(args, FlagMask)
	}
	args = append(args, FlagEnd)
	return append(args, argv...)
}
