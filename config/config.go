// Package config reads the dotenv setting: one syntax, given as a Dockerfile
// header directive (`# dotenv=required,stage=build`) and as the build-arg
// BUILDKIT_DOTENV, later sources winning key by key.
package config

import (
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// Where the setting is read from.
const (
	// Directive is the Dockerfile header directive: `# dotenv=<setting>`.
	Directive = "dotenv"
	// BuildArg is the build-arg that overrides the directive.
	BuildArg = "BUILDKIT_DOTENV"
)

// Keys of a setting. Don't forget the README's configuration table when you
// add one.
const (
	keyID       = "id"
	keyTarget   = "target"
	keyRequired = "required"
	keyStage    = "stage"
	keyOff      = "off"
	keyCache    = "cache"
	keyLoader   = "loader"
	keyMask     = "mask"
)

// Values of the cache key.
const (
	// CacheShared is BuildKit's behaviour: a secret's content is not part of
	// any cache key, so builds with different secrets share RUN results.
	CacheShared = "shared"
	// CacheSecret keys the cache of wrapped RUNs by the secret's content.
	CacheSecret = "secret"
)

// Values of the loader.
const (
	// LoaderProgram is loader v2: a program that reads the file as data.
	LoaderProgram = "program"
	// LoaderShell is loader v1: the stage's /bin/sh sources the file.
	LoaderShell = "shell"
)

// DefaultID is the secret id build platforms pass the dotenv file as.
const DefaultID = "_env"

var (
	validID     = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	validTarget = regexp.MustCompile(`^/[A-Za-z0-9_./@+-]+$`)
)

// Config is the resolved setting for one build.
type Config struct {
	ID       string   // secret id
	Target   string   // mount path; "" means /run/secrets/<ID>
	Required bool     // fail a RUN when the secret is not passed
	Stages   []string // stages whose RUNs are wrapped; empty means all
	Off      bool     // wrap nothing
	Cache    string   // CacheShared or CacheSecret
	Loader   string   // LoaderProgram or LoaderShell
	Mask     bool     // loader v2 masks the values in the RUN's output
}

// Default is the setting when nothing is configured.
func Default() Config {
	return Config{ID: DefaultID, Cache: CacheShared, Loader: LoaderProgram, Mask: true}
}

// MountTarget is where the secret is mounted.
func (c Config) MountTarget() string {
	if c.Target != "" {
		return c.Target
	}
	return "/run/secrets/" + c.ID
}

// Apply returns c with the keys of setting s applied on top. s is a
// comma-separated list of key=value pairs; boolean keys may stand alone.
// Repeated stage keys add up; a stage key replaces the stages of c; any
// other key may be given once.
func (c Config) Apply(s string) (Config, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return c, errors.New("empty setting")
	}
	stages := false
	seen := map[string]bool{}
	for _, field := range strings.Split(s, ",") {
		key, value, hasValue := strings.Cut(strings.TrimSpace(field), "=")
		key = strings.ToLower(strings.TrimSpace(key))
		value = strings.TrimSpace(value)
		if hasValue && value == "" {
			return c, errors.Errorf("%s: empty value", key)
		}
		if seen[key] && key != keyStage {
			return c, errors.Errorf("%s: given twice", key)
		}
		seen[key] = true
		switch key {
		case keyID:
			if !validID.MatchString(value) || value == "." || value == ".." {
				return c, errors.Errorf("id: %q is not a secret id (letters, digits, '_', '.', '-')", value)
			}
			c.ID = value
		case keyTarget:
			if !validTarget.MatchString(value) || path.Clean(value) != value || value == "/" {
				return c, errors.Errorf("target: %q is not a clean absolute path (letters, digits and _./@+-)", value)
			}
			if why := unusableTarget(value); why != "" {
				return c, errors.Errorf("target: %s %s", value, why)
			}
			c.Target = value
		case keyLoader:
			if value != LoaderProgram && value != LoaderShell {
				return c, errors.Errorf("loader: %q is neither %s nor %s", value, LoaderProgram, LoaderShell)
			}
			c.Loader = value
		case keyRequired, keyOff, keyMask:
			b := true
			if hasValue {
				var err error
				if b, err = strconv.ParseBool(value); err != nil {
					return c, errors.Errorf("%s: %q is not a boolean", key, value)
				}
			}
			switch key {
			case keyRequired:
				c.Required = b
			case keyOff:
				c.Off = b
			default:
				c.Mask = b
			}
		case keyCache:
			if value != CacheShared && value != CacheSecret {
				return c, errors.Errorf("cache: %q is neither %s nor %s", value, CacheShared, CacheSecret)
			}
			c.Cache = value
		case keyStage:
			if !hasValue {
				return c, errors.New("stage: needs a stage name, as in stage=build")
			}
			if !stages {
				c.Stages, stages = nil, true
			}
			c.Stages = append(c.Stages, strings.ToLower(value))
		case "":
			return c, errors.Errorf("empty key in %q", s)
		default:
			return c, errors.Errorf("unknown key %q (known: %s)", key, strings.Join(knownKeys, ", "))
		}
	}
	return c, nil
}

var knownKeys = []string{keyID, keyTarget, keyRequired, keyStage, keyOff, keyCache, keyLoader, keyMask}

// Paths a secret cannot be mounted at in every RUN: the container would not
// start, or the RUN would lose something it needs.
var (
	// kernelDirs are filesystems the runtime mounts.
	kernelDirs = []string{"/proc", "/sys", "/dev"}
	// runtimeFiles are files the runtime bind-mounts into every container.
	runtimeFiles = []string{"/etc/hosts", "/etc/resolv.conf", "/etc/hostname"}
	// ourDirs hold the loader program and the cache key, mounted by the pass.
	ourDirs = []string{"/run/dockerfile-dotenv", "/run/dotenv-cachekey"}
	// standardDirs are directories of the Filesystem Hierarchy Standard: a
	// file mounted over one hides it (or fails, over a directory).
	standardDirs = []string{"/bin", "/boot", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32",
		"/media", "/mnt", "/opt", "/root", "/run", "/run/secrets", "/sbin", "/srv", "/tmp",
		"/usr", "/usr/bin", "/usr/lib", "/usr/local", "/usr/local/bin", "/usr/sbin", "/usr/share",
		"/var", "/var/lib", "/var/run", "/var/tmp"}
)

// unusableTarget says why a clean absolute path cannot be the secret's
// target, or "" when it can.
func unusableTarget(p string) string {
	for _, dir := range kernelDirs {
		if p == dir || strings.HasPrefix(p, dir+"/") {
			return "is in " + dir + ", which the container runtime mounts"
		}
	}
	for _, dir := range ourDirs {
		if p == dir || strings.HasPrefix(p, dir+"/") || strings.HasPrefix(dir, p+"/") {
			return "overlaps " + dir + ", where dockerfile-dotenv mounts its own files"
		}
	}
	switch {
	case slices.Contains(runtimeFiles, p):
		return "is a file the container runtime provides"
	case slices.Contains(standardDirs, p):
		return "is a standard directory"
	case path.Dir(p) == "/bin" || path.Dir(p) == "/usr/bin":
		return "is in a directory of commands (it would hide one)"
	}
	return ""
}
